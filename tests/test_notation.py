"""Every symbol a chapter's mathematics uses is defined, with one meaning.

The test reads the MyST sources (no build): it extracts the math of a
chapter (``$...$``, ``$$...$$``, ``{math}`` blocks and roles, outside code)
and collects its *symbols*: bold, calligraphic and blackboard letters
(``\\mathbf{x}``, ``\\boldsymbol{\\delta}``, ``\\mathcal{L}``,
``\\mathbb{R}``), decorated ones, bold or plain (``\\tilde{\\mathbf{x}}``,
``\\bar{I}``, ``\\bar{\\imath}``), Greek letters and named operators
(``\\operatorname{relu}``).  Each must occur in the math of
``book/notation.md``, or be declared in the chapter's visible note
"In this chapter" (an ``{admonition}`` titled so, one bullet per symbol:
``- $S$: meaning``).

One meaning per symbol: each symbol on the notation page has one meaning,
and the way the page writes a symbol is its *form*: applied to an argument
(``\\sigma(z)``), with a subscript (``\\mathbf{x}_k``) or bare
(``\\mu``).  A chapter that writes a listed symbol in a form the page never
uses gives it another meaning (``\\sigma^2`` or ``\\sigma_j`` for a
spread, ``\\mu_{k,j}`` for a neuron's mean) and must declare it in its
note.  A clash of the same form (one letter, two meanings, both bare) is
beyond what a text search can see: the note is then the author's duty.
"""

import re
import sys
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"

# Every page of the book but the bibliography.
CHAPTERS_CHECKED = sorted(
    path.stem for path in BOOK.glob("*.md") if path.stem != "references"
)

GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota "
    "kappa lambda mu nu xi pi varpi rho varrho sigma varsigma tau upsilon "
    "phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon "
    "Phi Psi Omega"
).split()

FONT = r"\\(?:mathbf|boldsymbol|bm|mathcal|mathbb)\s*"
ARGUMENT = r"(?:\{\s*[^{}]*?\s*\}|\\[A-Za-z]+|[A-Za-z0-9])"
DECORATION = r"\\(?:tilde|bar|hat|overline|widetilde|widehat)\s*"
DECORATED = re.compile(
    DECORATION
    + r"(?:\{\s*(?:"
    + FONT
    + ARGUMENT
    + r"|\\[A-Za-z]+|[A-Za-z])\s*\}|\\[A-Za-z]+|[A-Za-z])"
)
FONTED = re.compile(FONT + ARGUMENT)
GREEK_LETTER = re.compile(r"\\(" + "|".join(GREEK) + r")(?![A-Za-z])")
# [x, 1] or [x_{k-1}, 1]: the extended input written as a row
ROW_EXTENDED_INPUT = re.compile(r"\[\s*\\mathbf\{x\}[^\[\];]*,\s*1\s*\]")
OPERATOR = re.compile(r"\\operatorname\s*\{\s*([^{}]*?)\s*\}")

FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*(\{[^}]*\}|[\w-]*)")
CODE_FENCES = {"", "{code-cell}", "{code}", "{code-block}", "{literalinclude}"}


def normalise(symbol):
    """A symbol without spaces, its arguments always in braces."""
    symbol = re.sub(r"(\\[A-Za-z]+)\s+(?=[A-Za-z])", r"\1{", symbol + " ")
    symbol = re.sub(r"\s+", "", symbol)
    symbol = symbol + "}" * (symbol.count("{") - symbol.count("}"))
    symbol = re.sub(
        r"(\\(?:mathbf|boldsymbol|bm|mathcal|mathbb|tilde|bar|hat|overline"
        r"|widetilde|widehat))(\\[A-Za-z]+|\w)(?=$|\})",
        r"\1{\2}",
        symbol,
    )
    return symbol.replace(r"\bm{", r"\boldsymbol{")


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


SYMBOL = re.compile(
    "|".join(
        f"(?:{p.pattern})"
        for p in (DECORATED, FONTED, OPERATOR)
    )
    + r"|\\(?:" + "|".join(GREEK) + r")(?![A-Za-z])"
)
# what may stand between a symbol and its argument or subscript: primes,
# superscripts (powers, transposes, example indices), thin spaces
BETWEEN = re.compile(
    r"(?:[ \t]|'|\\[, ]|\^[ \t]*(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))*"
)
APPLIED = re.compile(r"(?:\\(?:left|bigl|Bigl|big|Big)\s*)?\(")


def symbol_forms(math):
    """``{symbol: {forms}}``: how a string of mathematics writes each symbol.

    A form is ``"applied"`` (an argument in parentheses follows),
    ``"indexed"`` (a subscript follows), ``"named"`` (the symbol closes a
    group, as ``relu`` in ``\\mathbf{J}^{\\operatorname{relu}}``) or
    ``"bare"``; primes, superscripts and spaces in between are skipped.
    """
    forms = {}
    for match in SYMBOL.finditer(math):
        rest = math[match.end():]
        rest = rest[BETWEEN.match(rest).end():]
        form = (
            "applied" if APPLIED.match(rest)
            else "indexed" if rest.startswith("_")
            else "named" if rest.startswith("}")
            else "bare"
        )
        symbol = normalise(match.group(0))
        forms.setdefault(symbol, set()).add(form)
    return forms


NOTE_TITLE = re.compile(r"^(`{3,}|:{3,})\{admonition\}\s*In this chapter")
NOTE_ENTRY = re.compile(r"^\s*[-*]\s+((?:\$[^$]+\$\s*,?\s*)+):")


def local_notes(text):
    """Symbols a chapter declares in its notes "In this chapter".

    A note is an ``{admonition}`` whose title begins "In this chapter"; each
    entry is a bullet ``- $S$: meaning`` (or ``- $S$, $T$: meaning``).
    """
    declared, fence = set(), None
    for line in text.splitlines():
        if fence is None:
            title = NOTE_TITLE.match(line)
            fence = title.group(1) if title else None
        elif line.strip() == fence:
            fence = None
        elif entry := NOTE_ENTRY.match(line):
            declared |= symbols_of(entry.group(1).replace("$", " "))
    return declared


def source(name):
    return (BOOK / f"{name}.md").read_text()


def chapter_symbols(name):
    return symbols_of(math_of(source(name)))


def defined_symbols():
    return chapter_symbols("notation")


def undefined_symbols(name):
    """Symbols of a chapter that neither the notation page nor the
    chapter's notes "In this chapter" define."""
    allowed = defined_symbols() | local_notes(source(name))
    return sorted(chapter_symbols(name) - allowed)


def meaning_clashes(name):
    """``[(symbol, form)]``: listed symbols a chapter writes in a form the
    notation page never uses, without declaring them in a note."""
    page = symbol_forms(math_of(source("notation")))
    declared = local_notes(source(name))
    used = symbol_forms(math_of(source(name)))
    return sorted(
        (symbol, form)
        for symbol, forms in used.items()
        if symbol in page and symbol not in declared
        for form in forms
        if not same_meaning(form, page[symbol])
    )


def same_meaning(form, page_forms):
    """Whether writing a symbol in ``form`` keeps the meaning it has where
    the notation page writes it in ``page_forms``.

    A function (the page only applies it, ``\\sigma(z)``) written as a
    quantity (``\\sigma^2``, ``\\sigma_j``) means something else; so does
    a constant (the page never indexes it, ``\\mu``) written with an index
    (``\\mu_{k,j}``).  A symbol the page indexes may drop its index
    (``\\mathbf{W}`` for ``\\mathbf{W}_k``); a name (``J^{relu}``) and a
    parenthesis (an argument, or a product: text cannot tell) pass.
    """
    if form in ("named", "applied"):
        return True
    if form == "bare":
        return bool(page_forms & {"bare", "indexed"})
    return "indexed" in page_forms


@pytest.mark.parametrize("chapter", CHAPTERS_CHECKED)
def test_extended_input_is_stacked_not_a_row(chapter):
    math = math_of((BOOK / f"{chapter}.md").read_text())
    rows = ROW_EXTENDED_INPUT.findall(math)
    assert not rows, (
        f"book/{chapter}.md writes the extended input as {rows}: the book "
        "writes it stacked, [\\mathbf{x}; 1]"
    )


#: What a chapter may not do with a symbol: the finder, and what to do.
SYMBOL_RULES = {
    "uses a symbol the notation page does not define": (
        undefined_symbols,
        "add them to the notation page, use the book's symbol, or (for a "
        "symbol defined and used only there) declare them in a note 'In "
        "this chapter' ({admonition} In this chapter, one bullet '- $S$: "
        "meaning' per symbol)",
    ),
    "gives a listed symbol another meaning": (
        meaning_clashes,
        "these (symbol, form) pairs never occur on the notation page: use "
        "its symbol, or declare the local meaning in a note 'In this "
        "chapter' (one bullet '- $S$: meaning')",
    ),
}


@pytest.mark.parametrize("rule", SYMBOL_RULES)
@pytest.mark.parametrize("chapter", CHAPTERS_CHECKED)
def test_chapter_symbols_follow_the_notation_page(chapter, rule):
    finder, advice = SYMBOL_RULES[rule]
    found = finder(chapter)
    assert not found, f"book/{chapter}.md {rule}: {found}; {advice}"


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


def test_decorated_plain_letters_are_symbols():
    math = math_of(r"The mean $\bar I(u, v)$, $\bar{\imath}_k$ and $\hat y$.")
    assert symbols_of(math) == {r"\bar{I}", r"\bar{\imath}", r"\hat{y}"}


def test_a_function_written_as_a_quantity_is_a_clash():
    page = symbol_forms(math_of(r"$\sigma(z)$ and $\mathbf{W}_k$, $\mu$"))
    chapter = symbol_forms(
        math_of(r"$\sigma = 3$, $\sigma^2_j$, $\sigma'(z)$, $J^{\sigma}$")
    )
    assert chapter[r"\sigma"] == {"bare", "indexed", "applied", "named"}
    assert not same_meaning("bare", page[r"\sigma"])
    assert not same_meaning("indexed", page[r"\sigma"])
    assert same_meaning("named", page[r"\sigma"])
    assert same_meaning("applied", page[r"\sigma"])
    assert same_meaning("bare", page[r"\mathbf{W}"])  # W for W_k
    assert not same_meaning("indexed", page[r"\mu"])  # mu_{k,j}


def test_a_declared_local_meaning_passes_and_an_undeclared_one_fails(
    monkeypatch, tmp_path
):
    notation = (BOOK / "notation.md").read_text()
    chapter = r"The spread $\sigma_j$ of neuron $j$, its mean $\bar{\imath}$."
    note = "\n".join(
        [
            "```{admonition} In this chapter",
            r"- $\sigma_j$: the spread of neuron $j$ (not the sigmoid).",
            r"- $\bar{\imath}$: the mean of the pre-activations.",
            "```",
        ]
    )
    (tmp_path / "notation.md").write_text(notation)
    (tmp_path / "plain.md").write_text(chapter)
    (tmp_path / "noted.md").write_text(note + "\n\n" + chapter)
    monkeypatch.setattr(sys.modules[__name__], "BOOK", tmp_path)
    assert meaning_clashes("plain") == [(r"\sigma", "indexed")]
    assert undefined_symbols("plain") == [r"\bar{\imath}"]
    assert local_notes((tmp_path / "noted.md").read_text()) == {
        r"\sigma",
        r"\bar{\imath}",
    }
    assert meaning_clashes("noted") == [] and undefined_symbols("noted") == []
