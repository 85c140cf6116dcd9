"""The IDs one digit away from a mistyped one, as verification looks them up."""

from hypothesis import given
from hypothesis import strategies as st

from app.identity.provinces import PROVINCES
from app.identity.verification import registrable_variants


def one_digit_variants(number: str) -> set[str]:
    """The reference: every ID one substituted digit or one adjacent transposition away."""
    variants = set()
    for i, digit in enumerate(number):
        for other in "0123456789":
            if other != digit:
                variants.add(number[:i] + other + number[i + 1 :])
        if i + 1 < len(number) and number[i] != number[i + 1]:
            variants.add(number[:i] + number[i + 1] + number[i] + number[i + 2 :])
    return variants


digits = st.text(alphabet="0123456789", min_size=12, max_size=12)
with_province = st.tuples(
    st.sampled_from(sorted(PROVINCES)), st.text("0123456789", min_size=9, max_size=9)
)


def test_one_digit_variants_substitute_and_swap() -> None:
    variants = one_digit_variants("079085000103")
    assert len(variants) == 12 * 9 + 9  # substitutions + swaps of the 9 unequal neighbours
    assert "079085000130" in variants  # the last two swapped
    assert "179085000103" in variants
    assert "079085000103" not in variants


@given(digits)
def test_registrable_variants_are_the_variants_with_a_province(number: str) -> None:
    expected = {v for v in one_digit_variants(number) if v[:3] in PROVINCES}
    assert registrable_variants(number) == expected


@given(with_province)
def test_a_real_province_keeps_every_variant_past_it(parts: tuple[str, str]) -> None:
    number = "".join(parts)
    past = {v for v in one_digit_variants(number) if v[:3] == number[:3]}
    assert past <= registrable_variants(number)
    assert all(v[:3] in PROVINCES for v in registrable_variants(number))
