"""Task configs (imitate, swap, view): their rules, their JSON round trip, and the config file each
run writes beside its output (and never leaves after a failed or interrupted run)."""

import json

import pytest

from liquidwarp import __version__
from liquidwarp.cli.main import main
from liquidwarp.errors import InputError
from liquidwarp.tasks.configs import config_file, config_record, read_config
from liquidwarp.tasks.imitate import ImitateConfig
from liquidwarp.tasks.swap import SwapConfig
from liquidwarp.tasks.view import ViewConfig


# --------------------------------------------------------------------------------- no run


def test_config_file_sits_beside_a_file_output_and_inside_a_folder_output(tmp_path):
    assert config_file(tmp_path / "dance.mp4") == tmp_path / "dance.config.json"
    assert config_file(tmp_path / "a.b.png") == tmp_path / "a.b.config.json"
    assert config_file(tmp_path / "demo", folder=True) == tmp_path / "demo" / "config.json"


@pytest.mark.parametrize(
    "config",
    [
        ImitateConfig(method="warp", size=64, height=96, max_frames=3, reference_person="2:10,20.5", source_people=("1,2", "3,4")),
        SwapConfig(method="warp", size=128, background="bg/beach.jpg", personalize=0),
        ViewConfig(angles=(0.0, 22.5, -90.0), elevation=-12.5, method="lwg", personalize=5, checkpoint="./me.pt", source_people=("5,6",)),
    ],
)
def test_a_config_goes_to_json_and_back_unchanged(config):
    record = json.loads(json.dumps(config_record("x", config)))
    assert record["format"] == "liquidwarp-x-config" and record["version"] == 1 and record["liquidwarp"] == __version__
    again = type(config)(**record["config"])
    assert again == config and again.validate() is again


@pytest.mark.parametrize(
    "config, message",
    [
        (ImitateConfig(method="magic"), "method must be one of lwg, warp, affine2d, copy, got 'magic'"),
        (ImitateConfig(size=100), "size must be a multiple of 16 between 64 and 1024 pixels, got 100"),
        (ImitateConfig(height=8), "height must be between 16 and 4320 pixels, got 8"),
        (ImitateConfig(max_frames=0), "max_frames must be at least 1, got 0"),
        (ImitateConfig(device="gpu"), "device must be cpu, cuda, cuda:N or mps, got 'gpu'"),
        (ImitateConfig(side_by_side="yes"), "side_by_side must be true or false, got 'yes'"),
        (ImitateConfig(method="warp", personalize=3), "personalize needs method lwg"),
        (ImitateConfig(reference_person="left"), "reference_person: expected X,Y or FRAME:X,Y (pixels), got 'left'"),
        (SwapConfig(method="copy"), "method must be one of lwg, warp, got 'copy'"),
        (SwapConfig(personalize=-1), "personalize must be at least 0, got -1"),
        (SwapConfig(checkpoint=""), "checkpoint must be a file name, got ''"),
        (ViewConfig(angles=()), "angles must be a list of 1 to 3600 angles in degrees, got ()"),
        (ViewConfig(angles=(0.0, float("nan"))), "angles must be a finite number, got nan"),
        (ViewConfig(elevation=75.0), "elevation must be between -60 and 60 degrees, got 75"),
        (ViewConfig(fps=0.0), "fps must be at least 0.1, got 0"),
    ],
)
def test_validate_refuses_a_bad_setting_in_one_line(config, message):
    with pytest.raises(ValueError) as info:
        config.validate()
    assert str(info.value) == message


def test_reading_a_config_file_checks_its_kind_and_settings(tmp_path):
    path = tmp_path / "out.config.json"
    path.write_text(json.dumps(config_record("swap", SwapConfig(size=64))))
    assert read_config(path, "swap", SwapConfig) == SwapConfig(size=64)
    with pytest.raises(InputError, match="not a view config file"):
        read_config(path, "view", ViewConfig)
    path.write_text(json.dumps({**config_record("swap", SwapConfig()), "config": {"size": 64, "colour": "red"}}))
    with pytest.raises(InputError, match="unknown setting 'colour'"):
        read_config(path, "swap", SwapConfig)
    path.write_text(json.dumps({**config_record("swap", SwapConfig()), "config": {"size": 65}}))
    with pytest.raises(InputError, match="size must be a multiple of 16"):
        read_config(path, "swap", SwapConfig)


def test_a_bad_value_reaching_a_task_is_refused_before_any_work(tmp_path):
    from liquidwarp.tasks.view import novel_views

    out = tmp_path / "view.png"
    with pytest.raises(ValueError, match="size must be a multiple of 16"):
        novel_views([tmp_path / "nobody.png"], out, ViewConfig(size=70))  # the missing photo is not even looked at
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------ command-line runs


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The built-in example: a photo of a synthetic person and a short dance (a motion file), so
    that no video is perceived; its fit is cached for the module."""
    from liquidwarp.tasks.demo import write_example

    mp = pytest.MonkeyPatch()
    mp.setenv("LIQUIDWARP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield write_example(tmp_path_factory.mktemp("example"), frames=3, size=128)
    mp.undo()


def _recorded(path, task, config_type):
    record = json.loads(config_file(path).read_text())
    assert record["format"] == f"liquidwarp-{task}-config" and record["version"] == 1 and record["liquidwarp"] == __version__
    return config_type(**record["config"])


@pytest.mark.slow  # about 2 minutes on two busy cores: the example photo's fit, three runs
def test_each_task_writes_its_config_beside_its_output(tmp_path, example, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the paths in the configs are relative, as given
    (tmp_path / "in").mkdir()
    for file in (example.photo, example.motion):
        (tmp_path / "in" / file.name).write_bytes(file.read_bytes())
    fast = ["--method", "warp", "--size", "64", "--height", "64"]

    assert main(["imitate", "--source", "in/source.png", "--reference", "in/dance.npz", "--max-frames", "2", *fast, "--in-place",
                 "--out", "dance.mp4"]) == 0  # fmt: skip
    expected = ImitateConfig(method="warp", size=64, height=64, max_frames=2, in_place=True)
    assert _recorded(tmp_path / "dance.mp4", "imitate", ImitateConfig) == expected

    assert main(["swap", "--reference", "in/source.png", "--upper", "in/source.png", *fast, "--background", "in/source.png", "--out", "dressed.png"]) == 0
    expected = SwapConfig(method="warp", size=64, height=64, background="in/source.png")
    assert _recorded(tmp_path / "dressed.png", "swap", SwapConfig) == expected

    assert main(["view", "--source", "in/source.png", "--angles", "0:180:90", "--elevation", "10", *fast, "--out", "views.png"]) == 0
    expected = ViewConfig(angles=(0.0, 90.0), elevation=10.0, method="warp", size=64, height=64)
    assert _recorded(tmp_path / "views.png", "view", ViewConfig) == expected
    assert read_config(tmp_path / "views.config.json", "view", ViewConfig) == expected

    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["dance.config.json", "dance.mp4", "dressed.config.json", "dressed.png", "in", "views.config.json", "views.png"]


@pytest.mark.slow  # the example photo's fit (cached when the test above ran first)
def test_a_failed_or_interrupted_run_leaves_no_config(tmp_path, example, capsys, monkeypatch):
    import liquidwarp.tasks.imitate as imitation

    out = tmp_path / "out.mp4"
    args = ["imitate", "--source", str(example.photo), "--method", "warp", "--size", "64", "--height", "64", "--out", str(out)]
    # refused: the reference is a photo
    assert main([*args, "--reference", str(example.other)]) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("liquidwarp: error:")
    assert list(tmp_path.iterdir()) == []

    # interrupted while the frames are written
    made = []

    def interrupted(*args, **kwargs):
        if made:
            raise KeyboardInterrupt()
        made.append(1)
        return real(*args, **kwargs)

    real = imitation.render_in_frame
    monkeypatch.setattr(imitation, "render_in_frame", interrupted)
    assert main([*args, "--reference", str(example.motion)]) == 130
    assert made and list(tmp_path.iterdir()) == []
