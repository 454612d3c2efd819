"""Imitation methods behind one interface (:class:`liquidwarp.methods.build.Renderer`), so that
imitation, appearance transfer, novel views and evaluation run any of them the same way.

A method is bound once to the prepared sources (photos of one person, each with its fitted body,
seen in the output view, :mod:`liquidwarp.scene.views`) and then renders one frame per target
body and camera:

- ``copy``: the first source photo unchanged. The floor any method must clear.
- ``affine2d``: a 2D-keypoint method, as the 2D-pose methods in the paper's comparison: every limb
  of the first source is moved by the similarity map of its two landmarks (the fitted body's
  keypoints projected into each view), see :mod:`liquidwarp.warping.limbs2d`.
- ``warp``: 3D liquid warping without a network. Each target pixel takes its colour from where
  the same body surface point appears in a source photo (``transfer_flow``; several sources are
  merged where each sees the point). Body pixels no source sees take the colour of a texture baked
  from the sources, whose unseen texels are completed from the seen ones
  (:mod:`liquidwarp.scene.texture`).
- ``lwg``: the Liquid Warping GAN (:mod:`liquidwarp.networks.generator`): G_BG and G_SID run once
  on the sources, then each frame runs only G_TSF on the inputs of
  :func:`liquidwarp.scene.inputs.target_inputs`.

Every method puts the person on the same background: the first source's view with the person
removed by :func:`liquidwarp.warping.inpaint.inpaint` (patch-based). The module names only the
methods, so the command line lists them without importing the networks.
"""

#: The methods, by name (built by :func:`liquidwarp.methods.build.make_renderer`).
METHODS: tuple[str, ...] = ("lwg", "warp", "affine2d", "copy")
#: The methods that dress each body part from its own source (appearance transfer, ``swap``).
SWAP_METHODS: tuple[str, ...] = ("lwg", "warp")
