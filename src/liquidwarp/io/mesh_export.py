"""Textured mesh files that ordinary 3D viewers open: Wavefront OBJ (+ MTL + PNG) and glTF binary.

Both are written y-up (the glTF convention, and what most viewers assume for OBJ): the body world's
``(x, y, z)`` with z up becomes ``(x, z, -y)``. Units are metres.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from liquidwarp.io.atomic import write_bytes_atomic

MESH_SUFFIXES = (".obj", ".glb")


def _y_up(vertices: np.ndarray) -> np.ndarray:
    return np.stack([vertices[:, 0], vertices[:, 2], -vertices[:, 1]], axis=1)


def _split_by_uv(faces: np.ndarray, face_uvs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices that carry different UVs on different faces (seams) are duplicated so that every
    vertex has one UV. Returns (source vertex index per new vertex, new faces, UV per new vertex)."""
    corners = np.concatenate([faces.reshape(-1, 1).astype(np.float64), np.round(face_uvs.reshape(-1, 2), 6)], axis=1)
    unique, inverse = np.unique(corners, axis=0, return_inverse=True)
    return unique[:, 0].astype(np.int64), inverse.reshape(-1, 3), unique[:, 1:]


def export_mesh(path: Path, vertices: np.ndarray, faces: np.ndarray, face_uvs: np.ndarray, texture: np.ndarray) -> list[Path]:
    """Write a textured mesh; the format follows the suffix (.obj or .glb).

    Args:
        vertices: (V, 3) metres, body world (z up); faces: (F, 3); face_uvs: (F, 3, 2) (v up);
        texture: (S, S, 3) uint8 RGB.
    Returns:
        the files written (an OBJ comes with its .mtl and .png).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise ValueError(f"{path}: mesh export supports {', '.join(MESH_SUFFIXES)}")
    source, new_faces, uvs = _split_by_uv(faces, face_uvs)
    positions = _y_up(vertices[source].astype(np.float64))
    if suffix == ".glb":
        return [_write_glb(path, positions, new_faces, uvs, texture)]
    return _write_obj(path, positions, new_faces, uvs, texture)


def _write_glb(path: Path, positions: np.ndarray, faces: np.ndarray, uvs: np.ndarray, texture: np.ndarray) -> Path:
    import trimesh

    material = trimesh.visual.material.SimpleMaterial(image=Image.fromarray(texture))
    visual = trimesh.visual.TextureVisuals(uv=uvs, material=material)
    mesh = trimesh.Trimesh(positions, faces, visual=visual, process=False)
    data = mesh.export(file_type="glb")
    write_bytes_atomic(path, data)
    return path


def _write_obj(path: Path, positions: np.ndarray, faces: np.ndarray, uvs: np.ndarray, texture: np.ndarray) -> list[Path]:
    stem = path.stem
    png, mtl = path.with_suffix(".png"), path.with_suffix(".mtl")
    lines = [f"mtllib {mtl.name}", f"o {stem}"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in positions]
    lines += [f"vt {u:.6f} {v:.6f}" for u, v in uvs]
    lines.append("usemtl body")
    lines += [f"f {a}/{a} {b}/{b} {c}/{c}" for a, b, c in faces + 1]
    material = f"newmtl body\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nillum 1\nmap_Kd {png.name}\n"
    import io

    buffer = io.BytesIO()
    Image.fromarray(texture).save(buffer, format="PNG")
    write_bytes_atomic(png, buffer.getvalue())
    write_bytes_atomic(mtl, material.encode())
    write_bytes_atomic(path, ("\n".join(lines) + "\n").encode())
    return [path, mtl, png]
