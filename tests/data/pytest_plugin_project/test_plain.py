import mylib


def test_plain_passes():
    assert mylib.Box(2).value == 2


def test_plain_fails():
    assert mylib.Box(2).value == 3
