"""The body model: typed parameters in, a posed mesh out.

The default (and, offline, only) backend is Anny (Apache-2.0, https://github.com/naver/anny), a
MakeHuman-based differentiable body model. ``BodyModel`` hides it behind a small interface
(``faces``, ``face_uvs``, ``face_parts``, ``forward(BodyParams) -> BodyMesh``) so another model
(SMPL/SMPL-X from user-supplied files) can be added beside it.

World frame: the model's own. ``z`` up, metres; at zero root rotation the person faces ``-y``
and their left is ``+x``; the origin is near the pelvis.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, fields
from pathlib import Path

import torch

from liquidwarp.body.joints import BODY_JOINTS, NUM_JOINTS
from liquidwarp.errors import InputError
from liquidwarp.geometry.rotations import axis_angle_to_matrix

#: Anny's six default phenotype shape parameters, each in [0, 1] (0.5 = average).
SHAPE_NAMES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")
NUM_SHAPE = len(SHAPE_NAMES)

#: Body-part labels stored per face (``BodyModel.face_parts``). Left = the person's left.
PART_NAMES: tuple[str, ...] = (
    "head",  # head and neck, including the face and the hair region
    "torso",  # chest, belly, back, shoulders' tops
    "pelvis",  # hips and buttocks
    "upper_arm_left",
    "upper_arm_right",
    "lower_arm_left",
    "lower_arm_right",
    "hand_left",
    "hand_right",
    "upper_leg_left",
    "upper_leg_right",
    "lower_leg_left",
    "lower_leg_right",
    "foot_left",
    "foot_right",
)
PART_INDEX = {name: i for i, name in enumerate(PART_NAMES)}

#: COCO-17 plus 6 foot keypoints, in the order Anny's regressor returns them.
REGRESSED_KEYPOINT_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_big_toe", "right_big_toe", "left_small_toe", "right_small_toe", "left_heel", "right_heel",
)  # fmt: skip
#: Knuckles (the finger's first joint, where MediaPipe Pose puts its ``index`` and ``pinky``
#: landmarks) -> the Anny bone whose head sits there: they orient the hand when fitting.
HAND_KEYPOINT_BONES: dict[str, str] = {
    "left_index_knuckle": "finger2-1.L",
    "right_index_knuckle": "finger2-1.R",
    "left_pinky_knuckle": "finger5-1.L",
    "right_pinky_knuckle": "finger5-1.R",
}
#: Every keypoint a posed body has: the regressed ones, then the knuckles.
KEYPOINT_NAMES: tuple[str, ...] = REGRESSED_KEYPOINT_NAMES + tuple(HAND_KEYPOINT_BONES)
KNUCKLE_VERTICES = 12  # a knuckle keypoint is the mean of the vertices this many nearest its bone's head at rest


def _bone_part(bone: str) -> str:
    """Which body part a bone's skin belongs to (weights decide vertex -> bone)."""
    side = "left" if bone.endswith(".L") else "right"
    stem = bone.split(".")[0]
    if stem.startswith(("neck", "head", "eye", "jaw", "tongue")):
        return "head"
    if stem.startswith(("spine", "clavicle")) or stem == "root":
        return "torso"
    if stem.startswith("pelvis"):
        return "pelvis"
    if stem.startswith(("shoulder", "upperarm")):
        return f"upper_arm_{side}"
    if stem.startswith("lowerarm"):
        return f"lower_arm_{side}"
    if stem.startswith(("wrist", "finger", "metacarpal")):
        return f"hand_{side}"
    if stem.startswith("upperleg"):
        return f"upper_leg_{side}"
    if stem.startswith("lowerleg"):
        return f"lower_leg_{side}"
    if stem.startswith(("foot", "toe")):
        return f"foot_{side}"
    raise ValueError(f"no body part for bone {bone!r}")


@dataclass(frozen=True)
class BodyParams:
    """Parameters of a batch of bodies (B = batch).

    Attributes:
        root_rotation: (B, 3) axis-angle of the whole body in the world, about the model origin.
        root_translation: (B, 3) metres, added after the root rotation.
        joint_rotations: (B, J=19, 3) axis-angle of the posed bones, ``joints.BODY_JOINTS`` order,
            conventions in ``liquidwarp.body.joints``.
        shape: (B, 6) phenotype parameters in [0, 1], ``SHAPE_NAMES`` order.
        offsets: (B, V) metres each vertex moves along the posed surface's normal (outwards when
            positive): the person's clothes and hair beyond the unclothed body, fitted to their
            silhouette (``liquidwarp.fitting.offsets``); they belong to the person, like ``shape``,
            so every frame of one person carries the same row. None: the bare body.
    """

    root_rotation: torch.Tensor
    root_translation: torch.Tensor
    joint_rotations: torch.Tensor
    shape: torch.Tensor
    offsets: torch.Tensor | None = None

    def __post_init__(self) -> None:
        b = self.root_rotation.shape[0]
        assert self.root_rotation.shape == (b, 3), self.root_rotation.shape
        assert self.root_translation.shape == (b, 3), self.root_translation.shape
        assert self.joint_rotations.shape == (b, NUM_JOINTS, 3), self.joint_rotations.shape
        assert self.shape.shape == (b, NUM_SHAPE), self.shape.shape
        assert self.offsets is None or (self.offsets.ndim == 2 and self.offsets.shape[0] == b), None if self.offsets is None else self.offsets.shape

    @property
    def batch_size(self) -> int:
        return self.root_rotation.shape[0]

    @staticmethod
    def rest(batch_size: int = 1, dtype=torch.float32, device=None) -> "BodyParams":
        """Average shape in the rest A-pose at the origin."""
        z = lambda *s: torch.zeros(batch_size, *s, dtype=dtype, device=device)  # noqa: E731
        return BodyParams(z(3), z(3), z(NUM_JOINTS, 3), torch.full((batch_size, NUM_SHAPE), 0.5, dtype=dtype, device=device))

    def replace(self, **changes: torch.Tensor) -> "BodyParams":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return BodyParams(**values)

    def index(self, i: int | slice | torch.Tensor) -> "BodyParams":
        if isinstance(i, int):
            i = slice(i, i + 1)
        return BodyParams(**{f.name: _apply(getattr(self, f.name), lambda t: t[i]) for f in fields(self)})

    @staticmethod
    def cat(params: list["BodyParams"]) -> "BodyParams":
        """Frames of several batches in order; bodies without offsets get zero ones when others have some."""
        rows = next((p.offsets.shape[1] for p in params if p.offsets is not None), None)
        if rows is not None:
            params = [p if p.offsets is not None else p.replace(offsets=p.shape.new_zeros(p.batch_size, rows)) for p in params]
        return BodyParams(**{f.name: None if rows is None and f.name == "offsets" else torch.cat([getattr(p, f.name) for p in params]) for f in fields(BodyParams)})

    def to(self, device=None, dtype=None) -> "BodyParams":
        return BodyParams(**{f.name: _apply(getattr(self, f.name), lambda t: t.to(device=device, dtype=dtype)) for f in fields(self)})

    def with_person(self, person: "BodyParams") -> "BodyParams":
        """These frames' pose and placement with ``person``'s shape and offsets (its first frame's)."""
        b = self.batch_size
        offsets = None if person.offsets is None else person.offsets[:1].expand(b, -1)
        return self.replace(shape=person.shape[:1].expand(b, -1), offsets=offsets)


def _apply(value: torch.Tensor | None, fn) -> torch.Tensor | None:
    return None if value is None else fn(value)


@dataclass(frozen=True)
class BodyMesh:
    """A posed batch of meshes in world coordinates.

    Attributes:
        vertices: (B, V, 3) metres.
        keypoints: (B, K, 3) ``KEYPOINT_NAMES`` order, metres.
    """

    vertices: torch.Tensor
    keypoints: torch.Tensor


def anny_cache_dir() -> Path:
    """Where Anny keeps its built model data (``ANNY_CACHE_DIR`` overrides ``~/.cache/anny``)."""
    return Path(os.environ.get("ANNY_CACHE_DIR", Path.home() / ".cache" / "anny"))


def _load_anny():
    """Build (first time: about a minute and a ~790 MB cache) or load (~0.3 s) the Anny model."""
    cache = anny_cache_dir()
    if not cache.is_dir() or not any(cache.iterdir()):
        print(
            f"liquidwarp: building the body model cache in {cache} (first use only: about a minute "
            "and ~790 MB; set ANNY_CACHE_DIR to put it elsewhere)...",
            file=sys.stderr,
            flush=True,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Anny warns about optional GPU skinning we do not use
        import anny

        model = anny.Anny(skinning_method="lbs").to(torch.float32)
        coco = anny.KeypointsRegressor.coco(model).to(torch.float32)
        assert tuple(coco.labels) == REGRESSED_KEYPOINT_NAMES, coco.labels
        keypoints = anny.KeypointsRegressor(torch.cat([coco.regression_weights, _knuckle_rows(model)]), list(KEYPOINT_NAMES))
    model.requires_grad_(False)
    return model, keypoints


def _knuckle_rows(model) -> torch.Tensor:
    """(4, V) regression rows of the knuckle keypoints: each the mean of the ``KNUCKLE_VERTICES``
    vertices nearest its bone's head at rest (average shape), so it follows shape and pose as the
    regressed keypoints do."""
    with torch.no_grad():
        rest = model()
    vertices, heads = rest["rest_vertices"][0], rest["rest_bone_heads"][0]
    labels = list(model.bone_labels)
    rows = torch.zeros(len(HAND_KEYPOINT_BONES), vertices.shape[0])
    for k, bone in enumerate(HAND_KEYPOINT_BONES.values()):
        nearest = (vertices - heads[labels.index(bone)]).norm(dim=-1).topk(KNUCKLE_VERTICES, largest=False).indices
        rows[k, nearest] = 1.0 / KNUCKLE_VERTICES
    return rows


class BodyModel(torch.nn.Module):
    """Anny behind liquidwarp's body interface.

    Attributes (buffers, follow ``.to(device)``):
        faces: (F, 3) long vertex indices of the triangles.
        face_uvs: (F, 3, 2) texture coordinates of each face corner, ``u`` right, ``v`` up (OpenGL):
            texture row ``= (1 - v) * H``; ``uv_to_grid`` converts to a sampling grid.
        face_parts: (F,) long ``PART_NAMES`` index of each face.
        vertex_parts: (V,) long ``PART_NAMES`` index of each vertex (its dominant bone's part).
        vertex_bones: (V,) long index into ``bone_labels`` of each vertex's dominant bone.
        rest_vertices: (V, 3) vertices at average shape in the rest pose.
    """

    def __init__(self) -> None:
        super().__init__()
        anny_model, keypoints = _load_anny()
        self._anny = anny_model
        self._keypoints = keypoints
        self.register_buffer("faces", anny_model.faces.long().clone(), persistent=False)
        uv = anny_model.texture_coordinates.float()
        self.register_buffer("face_uvs", uv[anny_model.face_texture_coordinate_indices.long()], persistent=False)

        labels = list(anny_model.bone_labels)
        self.register_buffer("_joint_bone_index", torch.tensor([labels.index(b) for b in BODY_JOINTS]), persistent=False)
        bone_part = torch.tensor([PART_INDEX[_bone_part(b)] for b in labels])
        dominant = anny_model.vertex_bone_indices.gather(1, anny_model.vertex_bone_weights.argmax(1, keepdim=True))[:, 0]
        self.register_buffer("vertex_bones", dominant.long(), persistent=False)
        vertex_parts = bone_part[dominant.long()]
        self.register_buffer("vertex_parts", vertex_parts, persistent=False)
        self.register_buffer("face_parts", _majority(vertex_parts[self.faces]), persistent=False)
        self.register_buffer("rest_vertices", anny_model()["vertices"][0].detach().clone(), persistent=False)
        self.bone_labels = labels

    @property
    def num_vertices(self) -> int:
        return self.rest_vertices.shape[0]

    @property
    def num_faces(self) -> int:
        return self.faces.shape[0]

    def forward(self, params: BodyParams) -> BodyMesh:
        """Pose a batch of bodies. Differentiable in every field of ``params``."""
        b = params.batch_size
        dtype, device = params.joint_rotations.dtype, params.joint_rotations.device
        anny_model = self._anny
        n_bones = len(self.bone_labels)
        delta = torch.eye(4, dtype=dtype, device=device).repeat(b, n_bones, 1, 1)
        delta[:, self._joint_bone_index, :3, :3] = axis_angle_to_matrix(params.joint_rotations)
        out = anny_model(pose_parameters=delta, phenotype_kwargs=params.shape.to(anny_model.dtype))
        local_vertices = out["vertices"]
        local_keypoints = self._keypoints(out)
        rot = axis_angle_to_matrix(params.root_rotation)
        t = params.root_translation[:, None]
        vertices = torch.einsum("bij,bvj->bvi", rot, local_vertices) + t
        keypoints = torch.einsum("bij,bkj->bki", rot, local_keypoints) + t
        if params.offsets is not None:
            if params.offsets.shape[1] != self.num_vertices:
                raise InputError(f"body offsets for {params.offsets.shape[1]} vertices, but the body model has {self.num_vertices}")
            vertices = vertices + params.offsets.to(dtype)[..., None] * vertex_normals(vertices, self.faces)
        return BodyMesh(vertices=vertices, keypoints=keypoints)


    def pose_points(self, params: BodyParams, vertex_subset: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Keypoints and a subset of vertices for bodies that share one shape (``params.shape[0]``),
        without skinning the whole mesh: what fitting needs at each optimisation step.

        Linear blend skinning is linear in the bone transforms ``T_j``, and the keypoints are a
        fixed linear blend of vertices, so ``keypoint_k = sum_j T_j m_kj`` with
        ``m_kj = sum_v R_kv W_vj [r_v; 1]`` computed once per shape (``R``: keypoint regressor,
        ``W``: skinning weights, ``r``: rest vertices). Equal to ``forward`` up to round-off (tested).

        Returns:
            keypoints (B, K, 3) and vertices (B, len(vertex_subset), 3), world coordinates.
        """
        a = self._anny
        b = params.batch_size
        dtype, device = params.joint_rotations.dtype, params.joint_rotations.device
        no_changes = torch.zeros(1, 0, dtype=dtype, device=device)
        coeffs = a._get_phenotype_blendshape_coefficients(params.shape[:1], no_changes, no_changes)
        rest = a.get_rest_model(coeffs)
        delta = torch.eye(4, dtype=dtype, device=device).repeat(b, len(self.bone_labels), 1, 1)
        delta[:, self._joint_bone_index, :3, :3] = axis_angle_to_matrix(params.joint_rotations)
        transforms, _ = a.get_bone_transforms(delta, rest["rest_bone_poses"].expand(b, -1, -1, -1))
        top = transforms[..., :3, :]  # (B, J, 3, 4)
        rest_h = torch.cat([rest["rest_vertices"][0], torch.ones_like(rest["rest_vertices"][0, :, :1])], dim=-1)  # (V, 4)
        weights = a.dense_vertex_bone_weights  # (V, J)
        regressor = self._keypoints.regression_weights  # (K, V)
        m = torch.einsum("kv,vj,vc->kjc", regressor, weights, rest_h)  # (K, J, 4)
        local_keypoints = torch.einsum("bjrc,kjc->bkr", top, m)
        sub_w = weights[vertex_subset]  # (S, J)
        sub_rest = rest_h[vertex_subset]  # (S, 4)
        local_vertices = torch.einsum("sj,bjrc,sc->bsr", sub_w, top, sub_rest)
        rot = axis_angle_to_matrix(params.root_rotation)
        t = params.root_translation[:, None]
        return (
            torch.einsum("bij,bkj->bki", rot, local_keypoints) + t,
            torch.einsum("bij,bvj->bvi", rot, local_vertices) + t,
        )


def vertex_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """(B, V, 3) unit normals of a closed mesh whose faces turn counter-clockwise seen from outside
    (the body's do): each vertex's is the area-weighted sum of its faces' normals."""
    a, b, c = (vertices[:, faces[:, k]] for k in range(3))
    face_normals = torch.cross(b - a, c - a, dim=-1)  # length = twice the area
    summed = torch.zeros_like(vertices).index_add_(1, faces.reshape(-1), face_normals.repeat_interleave(3, dim=1))
    return torch.nn.functional.normalize(summed, dim=-1)


def _majority(labels: torch.Tensor) -> torch.Tensor:
    """(F, 3) per-corner labels -> (F,) the label at least two corners share, else the first."""
    a, b, c = labels.unbind(-1)
    return torch.where((b == c) & (a != b), b, a)


def uv_to_grid(uv: torch.Tensor) -> torch.Tensor:
    """Texture coordinates (u right, v up, [0, 1]) -> ``grid_sample`` grid (align_corners=False)."""
    return torch.stack([uv[..., 0] * 2.0 - 1.0, 1.0 - uv[..., 1] * 2.0], dim=-1)
