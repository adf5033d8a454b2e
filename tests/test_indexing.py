"""The safe index parser: same result as real tensor indexing, hostile input refused with its own exception."""

from __future__ import annotations

import ast
import itertools
import random

import pytest
import torch

from explain.indexing import MAX_LENGTH, IndexParseError, format_key, index_tensor, parse_index

X = torch.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
A = torch.tensor([[[83, 76, 89, 91], [78, 84, 79, 85], [89, 92, 87, 94]],
                  [[91, 87, 92, 89], [85, 88, 87, 90], [90, 93, 91, 94]]])


def real(tensor: torch.Tensor, text: str) -> torch.Tensor:
    """The reference: Python evaluating the same text on the tensor (trusted, test-generated strings only)."""
    return eval(text, {"__builtins__": {}}, {"x": tensor, "A": tensor})  # noqa: S307 - reference only


EXPRESSIONS = [
    "x[0]", "x[0, 1]", "x[:, :, 2]", "x[0, 1, 2, 3]", "x[-1]", "x[-1, -2, -3, -4]", "x[..., 0]", "x[0, ...]",
    "x[0, ..., 1]", "x[None]", "x[:, None, 1]", "x[0, None, :, None]", "x[::2]", "x[:, 1:, ::2, 1:4:2]",
    "x[1:1]", "x[5:]", "x[:-1, -2:]", "x[0][1][2]", "x[0][:, 1]", "x[:][0]", "x[...]", "x[..., None]",
    "x[0, 1][2:, ::3]", "x[1, 2, 3]", "x[0:100]", "x[-100:100]", "x[:, :, :, 4]", "[0, 1]", "x[+1]",
    "x[ 0 , 1 ]", "x[0,]", "x[None, None, 0]", "x[0][0][0][0]",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_matches_real_indexing(text: str) -> None:
    res = index_tensor(X, text)
    ref = real(X, text if not text.startswith("[") else "x" + text)
    assert res.value.shape == ref.shape
    assert torch.equal(res.value, ref)
    # the mask marks exactly the selected elements: their values (all distinct) are the result's values
    assert sorted(X[res.mask].tolist()) == sorted(ref.reshape(-1).tolist())
    assert res.count == ref.numel()


def test_course_examples() -> None:
    assert index_tensor(A, "A[1][0][:]", ("A",)).value.tolist() == [91, 87, 92, 89]
    assert index_tensor(A, "A[:, 1, 1]", ("A",)).value.tolist() == [84, 88]
    assert index_tensor(A, "A[1][1]", ("A",)).value.tolist() == [85, 88, 87, 90]  # what the notes' comment shows


def test_axis_steps_follow_the_original_axes() -> None:
    steps = index_tensor(A, "A[1][0][:]", ("A",)).steps
    assert [(s.subscript, s.axis, s.action) for s in steps] == [(0, 0, "pick"), (1, 1, "pick"), (2, 2, "slice")]
    steps = index_tensor(X, "x[..., None, ::2]").steps
    assert [s.action for s in steps] == ["all", "all", "all", "new", "slice"]
    assert steps[-1].positions == (0, 2, 4) and steps[-1].size_after == 3


def random_item(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return str(rng.randint(-7, 7))
    if kind == 1:
        parts = [rng.choice(["", str(rng.randint(-7, 7))]), rng.choice(["", str(rng.randint(-7, 7))])]
        step = rng.choice(["", "", f":{rng.randint(1, 3)}"])
        return ":".join(parts) + step
    return "None" if kind == 2 else "..."


def random_expressions(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        keys = [[random_item(rng) for _ in range(rng.randint(1, 5))] for _ in range(rng.randint(1, 3))]
        out.append("x" + "".join("[" + ", ".join(k) + "]" for k in keys))
    return out


def test_random_expressions_same_as_torch() -> None:
    """400 seeded random keys (ints, slices, None, ...; chained): same value or our own refusal."""
    accepted = 0
    for text in random_expressions(400):
        if any(part.count("...") > 1 for part in text.split("][")):
            # numpy refuses two ellipses in one key; torch's answer is inconsistent: we refuse, like numpy
            with pytest.raises(IndexParseError):
                index_tensor(X, text)
            continue
        try:
            ref = real(X, text)
        except (IndexError, ValueError, TypeError, RuntimeError, SyntaxError):
            with pytest.raises(IndexParseError):
                index_tensor(X, text)
            continue
        res = index_tensor(X, text)
        assert torch.equal(res.value, ref), text
        assert sorted(X[res.mask].tolist()) == sorted(ref.reshape(-1).tolist()), text
        accepted += 1
    assert accepted > 100  # the generator exercises real indexing, not only refusals


HOSTILE = [
    "__import__('os')", "__import__('os').system('ls')", "x.__class__", "x[0].__class__", "x[__import__('os')]",
    "x[len(x)]", "x[c]", "x[0, c, i, j]", "y[0]", "open('/etc/passwd')", "x[1.5]", "x['a']", "x[True]",
    "x[[0, 1]]", "x[0 + 1]", "x[2**100]", "x[10**9]", "x[99999999999999999999]", "x[lambda: 0]",
    "x[{0}]", "x[x[0]]", "x[0] + 1", "x", "", "   ", "x[", "x[0]]", "x[::0]", "x[::-1]", "x[..., ...]",
    "x[0, 0, 0, 0, 0]", "x[2]", "x[0, 3]", "x[-3]", "x[(yield)]", "x[f'{1}']", "x[1j]", "x[*a]", "x[a := 1]",
    "x[0 if 1 else 2]", "\x00", "x[0]\x00", "x" + "[0]" * 9, "x[" + ", ".join(["0"] * 9) + "]",
    "(" * 100 + "x" + ")" * 100, "x[" + "(" * 99 + "0" + ")" * 98 + "]", "x[" + "[" * 95 + "0" + "]" * 95 + "]",
    "x[" + "-" * 150 + "1]",
    "0" * (MAX_LENGTH + 1), "x[0]" + " " * MAX_LENGTH, "[" * 199,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_or_invalid_input_is_refused(text: str) -> None:
    with pytest.raises(IndexParseError) as info:
        index_tensor(X, text)
    assert info.value.code in IndexParseError._MESSAGES
    assert str(info.value)


def test_refusal_codes() -> None:
    def code(text: str) -> str:
        with pytest.raises(IndexParseError) as info:
            index_tensor(X, text)
        return info.value.code

    assert code("x[0, c, i, j]") == "variable"
    assert code("x.__class__") == "not_allowed"
    assert code("__import__('os')") == "not_allowed"
    assert code("x[99999999999]") == "too_big"
    assert code("x" * (MAX_LENGTH + 1)) == "too_long"
    assert code("x[2]") == "out_of_range"
    assert code("x[0, 0, 0, 0, 0]") == "too_many_indices"
    assert code("x[::-1]") == "step_negative"


def test_parser_never_evaluates(capsys: pytest.CaptureFixture[str]) -> None:
    for text in ("x[print('pwned')]", "print('pwned')", "x[0] if print('pwned') else x[1]"):
        with pytest.raises(IndexParseError):
            index_tensor(X, text)
    assert "pwned" not in capsys.readouterr().out


def test_canonical_text_round_trips() -> None:
    for text in EXPRESSIONS:
        parsed = parse_index(text)
        again = parse_index(parsed.text)
        assert again == parsed
        assert isinstance(ast.parse(parsed.text, mode="eval").body, ast.Subscript)
    assert format_key((0, slice(None, None, 2), Ellipsis, None)) == "0, ::2, ..., None"


def test_redundant_parentheses_are_harmless() -> None:
    assert torch.equal(index_tensor(X, "x[" + "(" * 90 + "0" + ")" * 90 + "]").value, X[0])


def test_all_small_int_keys_over_a_grid() -> None:
    for i, j in itertools.product(range(-3, 3), range(-4, 4)):
        assert torch.equal(index_tensor(X, f"x[1, {i}, {j}]").value, X[1, i, j])
