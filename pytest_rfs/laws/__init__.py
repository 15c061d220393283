"""Ready-made laws for Result chains, checked with Hypothesis on your own step functions.

A chain step is a function ``value -> Result`` (``validate_user_response``, a repository
lookup, ...). For two steps ``f`` and ``g`` the laws say that chains built from them can be
regrouped and refactored safely: ``map`` and ``map_error`` are functors, ``bind`` is a monad
(left/right identity, associativity), a MonoResult chain computes what the same steps compute
on a plain Result, and a FluxResult stays consistent. A step that is not deterministic, or
that mutates what it is given, breaks them; so does a broken container.

Two ways to use them::

    from pytest_rfs.laws import assert_chain_laws, check_result_laws

    def test_user_chain_laws():
        assert_chain_laws(parse_user, validate_user_response, values=raw_users())

    TestUserChainLaws = check_result_laws(parse_user, validate_user_response, values=raw_users())

``check_result_laws`` returns a test class with one test per law, so pytest reports each law
on its own. A law that fails raises ``LawViolation`` naming the law, the input and both sides;
Hypothesis shrinks the input first and prints it as the falsifying example.

Modules: ``comparing`` (LawViolation and the equality laws use), ``chain`` (Chain),
``catalogue`` (the laws themselves), ``flux`` (FluxResult invariants), ``runner`` (running
them with Hypothesis).
"""

from __future__ import annotations

from pytest_rfs.laws.catalogue import LAW_NAMES
from pytest_rfs.laws.chain import Chain
from pytest_rfs.laws.comparing import LawViolation, NotAResultStep
from pytest_rfs.laws.flux import assert_flux_invariants
from pytest_rfs.laws.runner import (
    assert_chain_laws,
    assert_mono_matches_result,
    check_result_laws,
)

__all__ = [
    "LAW_NAMES",
    "Chain",
    "LawViolation",
    "NotAResultStep",
    "assert_chain_laws",
    "assert_flux_invariants",
    "assert_mono_matches_result",
    "check_result_laws",
]
