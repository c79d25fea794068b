"""Shared hypothesis strategies: text an operator (or a clipboard) can produce."""

from __future__ import annotations

from hypothesis import strategies as st

from onec_sandbox.hostile import TEXTS

ASCII_DIGITS = "0123456789"
FULLWIDTH_DIGITS = "０１２３４５６７８９"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
EXTENDED_ARABIC_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
DEVANAGARI_DIGITS = "०१२३४५६७८९"
OTHER_DIGITS = FULLWIDTH_DIGITS + ARABIC_INDIC_DIGITS + EXTENDED_ARABIC_DIGITS + DEVANAGARI_DIGITS
# Characters that look like, or sit next to, what the forms accept.
PUNCT = "+-().,:/@ _'\"«»"
SPACES = " \u00a0\u2009\u202f\u3000\t"
CONTROLS = "\n\r\x0b\x0c\x00\x1b\x7f\x85\u2028\u200b\u202e\ufeff"

#: One character of the kinds that matter to validators, weighted towards the confusable ones.
near_char = st.one_of(
    st.sampled_from(ASCII_DIGITS),
    st.sampled_from(OTHER_DIGITS),
    st.sampled_from(PUNCT + SPACES + CONTROLS),
    st.sampled_from("ABZaz.АБЯяЁ²³¹½"),
    st.characters(),
)

#: Any text, with extra weight on digit look-alikes, separators and control characters.
any_text = st.one_of(
    st.text(near_char, max_size=40),
    st.text(max_size=40),
    st.sampled_from(TEXTS),
)


def swap_digits(text: str, table: str, data: st.DataObject) -> str:
    """`text` with some of its ASCII digits replaced by the same digit from another script."""
    out = []
    for ch in text:
        if ch in ASCII_DIGITS and data.draw(st.booleans()):
            out.append(table[int(ch)])
        else:
            out.append(ch)
    return "".join(out)
