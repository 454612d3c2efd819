"""The body joints liquidwarp poses, their rotation conventions and their limits.

Anny has 104 bones (fingers, toes, twist bones, eyes). liquidwarp drives the 19 "main" bones
below; every other bone keeps its rest orientation.

Rotation convention (Anny's ``local-ref`` pose parameterisation, measured on the model):
each joint rotation is an axis-angle vector (radians) about the *body* axes of the rest pose,
applied at the bone's head and composed down the kinematic chain. Body axes: ``x`` points to the
person's left, ``y`` to their back, ``z`` up (the person faces ``-y``). All-zero rotations give the
rest A-pose (arms ~45 degrees down, legs straight). Signs, measured:

- hip (``upperleg01``): ``-x`` swings the leg forward (flexion); ``+y`` on the left leg / ``-y`` on the
  right moves the foot towards the other leg (adduction); ``z`` twists.
- knee (``lowerleg01``): ``+x`` bends the knee (shin goes back).
- ankle (``foot``): ``+x`` lifts the toes.
- spine (``spine05``, ``spine03``, ``spine01``): ``+x`` bends forward, ``y`` bends sideways, ``z`` twists.
- neck / head: as the spine.
- clavicle: small shrug, ``-y`` on the left raises the shoulder.
- shoulder (``upperarm01``): ``-y`` on the left arm / ``+y`` on the right raises the arm sideways
  (abduction) from the A-pose; ``-x`` swings the arm forward.
- elbow (``lowerarm01``): ``-x`` bends the elbow (forearm comes forward and up); left and right alike.
- wrist: small rotations about all axes.
"""

from __future__ import annotations

import math

#: The posed bones, in the order of ``BodyParams.joint_rotations`` (J = 19).
BODY_JOINTS: tuple[str, ...] = (
    "spine05",  # lower back
    "spine03",  # mid back
    "spine01",  # upper back
    "neck01",
    "head",
    "clavicle.L",
    "clavicle.R",
    "upperarm01.L",  # left shoulder
    "upperarm01.R",
    "lowerarm01.L",  # left elbow
    "lowerarm01.R",
    "wrist.L",
    "wrist.R",
    "upperleg01.L",  # left hip
    "upperleg01.R",
    "lowerleg01.L",  # left knee
    "lowerleg01.R",
    "foot.L",  # left ankle
    "foot.R",
)

NUM_JOINTS = len(BODY_JOINTS)

_D = math.radians

#: Per-joint limits of each axis-angle component, ``(low, high)`` in radians for x, y, z.
#: Loose anatomical ranges about the A-pose, used by the motion generator and, later, the fitting prior.
JOINT_LIMITS: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "spine05": ((_D(-20), _D(40)), (_D(-20), _D(20)), (_D(-25), _D(25))),
    "spine03": ((_D(-20), _D(40)), (_D(-20), _D(20)), (_D(-30), _D(30))),
    "spine01": ((_D(-15), _D(30)), (_D(-15), _D(15)), (_D(-25), _D(25))),
    "neck01": ((_D(-30), _D(40)), (_D(-30), _D(30)), (_D(-45), _D(45))),
    "head": ((_D(-30), _D(30)), (_D(-20), _D(20)), (_D(-40), _D(40))),
    "clavicle.L": ((_D(-10), _D(10)), (_D(-20), _D(10)), (_D(-15), _D(15))),
    "clavicle.R": ((_D(-10), _D(10)), (_D(-10), _D(20)), (_D(-15), _D(15))),
    "upperarm01.L": ((_D(-120), _D(50)), (_D(-110), _D(40)), (_D(-80), _D(80))),
    "upperarm01.R": ((_D(-120), _D(50)), (_D(-40), _D(110)), (_D(-80), _D(80))),
    "lowerarm01.L": ((_D(-140), _D(0)), (_D(-10), _D(10)), (_D(-60), _D(60))),
    "lowerarm01.R": ((_D(-140), _D(0)), (_D(-10), _D(10)), (_D(-60), _D(60))),
    "wrist.L": ((_D(-50), _D(50)), (_D(-20), _D(20)), (_D(-30), _D(30))),
    "wrist.R": ((_D(-50), _D(50)), (_D(-20), _D(20)), (_D(-30), _D(30))),
    "upperleg01.L": ((_D(-110), _D(35)), (_D(-35), _D(15)), (_D(-40), _D(40))),
    "upperleg01.R": ((_D(-110), _D(35)), (_D(-15), _D(35)), (_D(-40), _D(40))),
    "lowerleg01.L": ((_D(0), _D(140)), (_D(-5), _D(5)), (_D(-10), _D(10))),
    "lowerleg01.R": ((_D(0), _D(140)), (_D(-5), _D(5)), (_D(-10), _D(10))),
    "foot.L": ((_D(-40), _D(30)), (_D(-20), _D(20)), (_D(-20), _D(20))),
    "foot.R": ((_D(-40), _D(30)), (_D(-20), _D(20)), (_D(-20), _D(20))),
}


def joint_index(name: str) -> int:
    """Position of a posed bone in ``BODY_JOINTS``; ``KeyError`` names the valid ones."""
    try:
        return BODY_JOINTS.index(name)
    except ValueError:
        raise KeyError(f"unknown joint {name!r}; posed joints are {', '.join(BODY_JOINTS)}") from None
