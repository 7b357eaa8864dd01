"""Every symbol a chapter's mathematics uses is defined on the notation page.

The test reads the MyST sources (no build): it extracts the math of a
chapter (``$...$``, ``$$...$$``, ``{math}`` blocks and roles, outside code)
and collects its *symbols*: bold, calligraphic and blackboard letters
(``\\mathbf{x}``, ``\\boldsymbol{\\delta}``, ``\\mathcal{L}``,
``\\mathbb{R}``), decorated ones (``\\tilde{\\mathbf{x}}``,
``\\bar{\\mathbf{W}}``), Greek letters and named operators
(``\\operatorname{relu}``).  Each must occur in the math of
``book/notation.md``, or in the chapter's entry of ``LOCAL_SYMBOLS``.
"""

import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"

# Every page of the book but the bibliography.
CHAPTERS_CHECKED = sorted(
    path.stem for path in BOOK.glob("*.md") if path.stem != "references"
)

# Symbols a chapter may use locally, without an entry on the notation page,
# because it defines them where it uses them.
LOCAL_SYMBOLS = {
    # N: the numerical estimate of a Jacobian, compared with the analytic A
    "jacobians": {r"\mathbf{N}"},
    # Z: a mini-batch's pre-activations, one row per example; t: the target
    # distribution of cross-entropy (one-hot or smoothed)
    "beyond": {r"\mathbf{Z}", r"\mathbf{t}"},
}

GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota "
    "kappa lambda mu nu xi pi varpi rho varrho sigma varsigma tau upsilon "
    "phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon "
    "Phi Psi Omega"
).split()

FONT = r"\\(?:mathbf|boldsymbol|bm|mathcal|mathbb)\s*"
ARGUMENT = r"(?:\{\s*[^{}]*?\s*\}|\\[A-Za-z]+|[A-Za-z0-9])"
DECORATED = re.compile(
    r"\\(?:tilde|bar|hat|overline|widetilde|widehat)\s*\{\s*"
    + FONT
    + ARGUMENT
    + r"\s*\}"
)
FONTED = re.compile(FONT + ARGUMENT)
GREEK_LETTER = re.compile(r"\\(" + "|".join(GREEK) + r")(?![A-Za-z])")
# [x, 1] or [x_{k-1}, 1]: the extended input written as a row
ROW_EXTENDED_INPUT = re.compile(r"\[\s*\\mathbf\{x\}[^\[\];]*,\s*1\s*\]")
OPERATOR = re.compile(r"\\operatorname\s*\{\s*([^{}]*?)\s*\}")

FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*(\{[^}]*\}|[\w-]*)")
CODE_FENCES = {"", "{code-cell}", "{code}", "{code-block}", "{literalinclude}"}


def normalise(symbol):
    """A symbol without spaces, its argument always in braces."""
    symbol = re.sub(r"\s+", "", symbol)
    return re.sub(
        r"(\\(?:mathbf|boldsymbol|bm|mathcal|mathbb))(\\[A-Za-z]+|\w)(?=$|\})",
        r"\1{\2}",
        symbol,
    ).replace(r"\bm{", r"\boldsymbol{")


def prose_and_math_blocks(text):
    """Split a MyST source into prose (code removed) and ``{math}`` blocks."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)
    prose, math, stack = [], [], []
    for line in text.splitlines():
        match = FENCE.match(line)
        if stack and line.strip() == stack[-1][0]:
            stack.pop()
            continue
        if match and not (stack and stack[-1][1] in CODE_FENCES):
            stack.append((match.group(1), match.group(2)))
            continue
        if stack and stack[-1][1] in CODE_FENCES:
            continue
        if stack and stack[-1][1] == "{math}":
            if not line.lstrip().startswith(":"):
                math.append(line)
            continue
        prose.append(line)
    assert not stack, f"unclosed fence {stack[-1]}"
    return "\n".join(prose), "\n".join(math)


def math_of(text):
    """All the mathematics of a MyST source, as one string."""
    prose, math = prose_and_math_blocks(text)
    roles = re.findall(r"\{math\}`([^`]*)`", prose)
    prose = re.sub(r"`[^`\n]*`", " ", prose)
    prose = prose.replace(r"\$", " ")
    display = re.findall(r"\$\$(.+?)\$\$", prose, flags=re.DOTALL)
    prose = re.sub(r"\$\$(.+?)\$\$", " ", prose, flags=re.DOTALL)
    inline = re.findall(r"\$([^$\n]+?)\$", prose)
    return "\n".join([math, *roles, *display, *inline])


def symbols_of(math):
    """The set of symbols (normalised LaTeX) in a string of mathematics."""
    found = {normalise(s) for s in DECORATED.findall(math)}
    found |= {normalise(s) for s in FONTED.findall(DECORATED.sub(" ", math))}
    found |= {"\\" + g for g in GREEK_LETTER.findall(math)}
    found |= {rf"\operatorname{{{o}}}" for o in OPERATOR.findall(math)}
    return found


def chapter_symbols(name):
    return symbols_of(math_of((BOOK / f"{name}.md").read_text()))


def defined_symbols():
    return chapter_symbols("notation")


def undefined_symbols(name):
    """Symbols of a chapter that neither the notation page nor the
    chapter's local list defines."""
    allowed = defined_symbols() | LOCAL_SYMBOLS.get(name, set())
    return sorted(chapter_symbols(name) - allowed)


@pytest.mark.parametrize("chapter", CHAPTERS_CHECKED)
def test_extended_input_is_stacked_not_a_row(chapter):
    math = math_of((BOOK / f"{chapter}.md").read_text())
    rows = ROW_EXTENDED_INPUT.findall(math)
    assert not rows, (
        f"book/{chapter}.md writes the extended input as {rows}: the book "
        "writes it stacked, [\\mathbf{x}; 1]"
    )


@pytest.mark.parametrize("chapter", CHAPTERS_CHECKED)
def test_chapter_uses_only_defined_symbols(chapter):
    undefined = undefined_symbols(chapter)
    assert not undefined, (
        f"book/{chapter}.md uses {undefined}, which book/notation.md does "
        "not define: add them to the notation page, use the book's symbol, "
        "or (for a symbol defined and used only there) to LOCAL_SYMBOLS"
    )


def test_notation_page_defines_the_core_symbols():
    core = {
        r"\mathbf{x}",
        r"\tilde{\mathbf{x}}",
        r"\mathbf{i}",
        r"\mathbf{W}",
        r"\bar{\mathbf{W}}",
        r"\mathbf{g}",
        r"\boldsymbol{\delta}",
        r"\mathbf{J}",
        r"\mathbb{1}",
        r"\mathcal{L}",
        r"\eta",
        r"\sigma",
    }
    assert core <= defined_symbols()


def test_extraction_finds_symbols_in_every_kind_of_math():
    source = "\n".join(
        [
            "---",
            "jupytext: {}",
            "---",
            r"Inline $\mathbf{a} + \tilde{\mathbf{b}}$ and `$\mathbf{z}$`.",
            "$$",
            r"\boldsymbol \xi = \bar{\mathbf{c}}\,\operatorname{relu}(x)",
            "$$",
            "````{solution} ex",
            r"Nested $\mathcal{D}$.",
            "```{literalinclude} f.py",
            "```",
            r"After the include $\mathbb{E}$.",
            "````",
            "```{code-cell} ipython3",
            r"s = '$\mathbf{q}$'",
            "```",
            "```{math}",
            ":label: eq",
            r"\mathbf d = \lambda",
            "```",
            r"A role {math}`\mathbf{f}` and a price of \$5.",
        ]
    )
    assert symbols_of(math_of(source)) == {
        r"\mathbf{a}",
        r"\tilde{\mathbf{b}}",
        r"\boldsymbol{\xi}",
        r"\xi",
        r"\bar{\mathbf{c}}",
        r"\operatorname{relu}",
        r"\mathcal{D}",
        r"\mathbb{E}",
        r"\mathbf{d}",
        r"\lambda",
        r"\mathbf{f}",
    }


def test_a_row_extended_input_is_found():
    math = math_of(r"$[\mathbf{x}_{k-1}, 1]$ and $[\mathbf{x}; 1]$")
    assert ROW_EXTENDED_INPUT.findall(math) == [r"[\mathbf{x}_{k-1}, 1]"]


def test_an_undefined_symbol_is_reported():
    chapter = r"We write $\mathbf{Q}_k$ and $\omega$, then $\mathbf{x}_0$."
    used = symbols_of(math_of(chapter))
    assert sorted(used - defined_symbols()) == [r"\mathbf{Q}", r"\omega"]
