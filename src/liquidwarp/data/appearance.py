"""Clothed appearances for synthetic people, painted in the body model's UV space.

Through the ``UVAtlas`` any per-vertex quantity (rest position, part label) becomes a per-texel
map, so garments are placed by body part and by height (waist line, sleeve and trouser length,
hairline) on each subject's own rest shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from liquidwarp.body.model import KEYPOINT_NAMES, PART_INDEX, BodyModel
from liquidwarp.data import textures
from liquidwarp.rendering.uv_atlas import UVAtlas


@dataclass(frozen=True)
class Outfit:
    """What a synthetic person wears (recorded in the dataset manifest)."""

    top: str  # "tank", "tshirt" or "longsleeve"
    bottom: str  # "shorts" or "trousers"
    hair: str  # "short", "long" or "bald"
    top_pattern: str
    bottom_pattern: str


def make_appearance(
    rng: np.random.Generator,
    body: BodyModel,
    atlas: UVAtlas,
    rest_vertices: torch.Tensor,
    rest_keypoints: torch.Tensor,
) -> tuple[np.ndarray, Outfit]:
    """Paint a clothed person's albedo texture.

    Args:
        rest_vertices: (V, 3) the subject's own rest-pose vertices (shape applied).
        rest_keypoints: (K, 3) the matching keypoints (``KEYPOINT_NAMES``).
    Returns:
        texture (size, size, 3) float32 in [0, 1] and the outfit description.
    """
    size = atlas.size
    faces = body.faces
    part = atlas.interpolate(faces, torch.nn.functional.one_hot(body.vertex_parts, len(PART_INDEX)).float()).argmax(-1).numpy()
    pos = atlas.interpolate(faces, rest_vertices.float()).numpy()  # (S, S, 3) rest position of each texel
    z = pos[..., 2]
    kp = {name: rest_keypoints[i].numpy() for i, name in enumerate(KEYPOINT_NAMES)}

    def parts(*names: str) -> np.ndarray:
        return np.isin(part, [PART_INDEX[n] for n in names])

    arms_upper = parts("upper_arm_left", "upper_arm_right")
    arms_lower = parts("lower_arm_left", "lower_arm_right")
    legs_upper = parts("upper_leg_left", "upper_leg_right")
    legs_lower = parts("lower_leg_left", "lower_leg_right")
    trunk = parts("torso", "pelvis")
    head = parts("head")
    feet = parts("foot_left", "foot_right")

    skin = textures.skin_tone(rng)
    texture = np.broadcast_to(skin, (size, size, 3)) * textures.shade_variation(rng, (size, size), 0.06)

    hip_z = 0.5 * (kp["left_hip"][2] + kp["right_hip"][2])
    shoulder_z = 0.5 * (kp["left_shoulder"][2] + kp["right_shoulder"][2])
    waist_z = hip_z + rng.uniform(0.05, 0.14)
    knee_z = 0.5 * (kp["left_knee"][2] + kp["right_knee"][2])
    ankle_z = 0.5 * (kp["left_ankle"][2] + kp["right_ankle"][2])

    top = str(rng.choice(["tank", "tshirt", "tshirt", "longsleeve"]))
    bottom = str(rng.choice(["shorts", "trousers", "trousers"]))
    top_region = trunk & (z >= waist_z)
    if top == "tank":
        top_region &= z < shoulder_z + 0.02
    if top in ("tshirt", "longsleeve"):
        top_region |= arms_upper
    if top == "longsleeve":
        top_region |= arms_lower
    bottom_region = (trunk & (z < waist_z)) | legs_upper
    if bottom == "shorts":
        bottom_region &= z > knee_z + rng.uniform(0.0, 0.15)
    else:
        bottom_region |= legs_lower & (z > ankle_z + 0.02)

    top_kind = str(rng.choice(textures.PATTERN_KINDS))
    bottom_kind = str(rng.choice(textures.PATTERN_KINDS))
    top_pattern = textures.make_pattern(rng, (size, size), top_kind)
    bottom_pattern = textures.make_pattern(rng, (size, size), bottom_kind) * rng.uniform(0.6, 1.0)
    texture = np.where(top_region[..., None], top_pattern, texture)
    texture = np.where(bottom_region[..., None], bottom_pattern, texture)

    shoe = textures.make_pattern(rng, (size, size), "solid") * rng.uniform(0.2, 0.9)
    texture = np.where((feet | (legs_lower & (z <= ankle_z + 0.02)))[..., None], shoe, texture)

    hair = str(rng.choice(["short", "short", "long", "bald"]))
    if hair != "bald":
        eye_z = 0.5 * (kp["left_eye"][2] + kp["right_eye"][2])
        ear_y = 0.5 * (kp["left_ear"][1] + kp["right_ear"][1])
        hairline = eye_z + rng.uniform(0.045, 0.07)
        back_low = eye_z - (rng.uniform(0.03, 0.08) if hair == "short" else rng.uniform(0.12, 0.2))
        y = pos[..., 1]  # +y is the back of the head
        hair_region = head & ((z > hairline) | ((y > ear_y - 0.01) & (z > back_low)))
        hair_colour = textures.hair_color(rng)
        hair_tex = np.broadcast_to(hair_colour, (size, size, 3)) * textures.shade_variation(rng, (size, size), 0.15)
        texture = np.where(hair_region[..., None], hair_tex, texture)

    eye_bones = [i for i, name in enumerate(body.bone_labels) if name.startswith("eye.")]
    eye_vertex = np.isin(body.vertex_bones.numpy(), eye_bones).astype(np.float32)
    eye = atlas.interpolate(faces, torch.from_numpy(eye_vertex)[:, None])[..., 0].numpy() > 0.5
    if eye.any():
        front = pos[..., 1] < np.quantile(pos[eye][:, 1], 0.25)  # the front quarter of the eyeball is the iris
        iris = textures.hair_color(rng) * 0.6
        texture = np.where(eye[..., None], np.where(front[..., None], iris, np.array([0.92, 0.9, 0.88])), texture)

    texture = atlas.fill_gaps(np.clip(texture, 0.0, 1.0).astype(np.float32))
    return texture, Outfit(top, bottom, hair, top_kind, bottom_kind)
