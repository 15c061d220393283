"""Loading the ``rfs`` plugin costs nothing until a fixture, helper or option needs it.

Each test runs pytest in a subprocess (``runpytest_subprocess``): a fresh interpreter, where
``sys.modules`` shows what loading the plugin imported. schemathesis's own pytest plugin
imports Hypothesis, so those runs disable it (``-p no:schemathesis``).
"""

from __future__ import annotations

import pytest

from pytest_rfs.plugin import is_plugin_fixture

HEAVY = (
    "structlog",
    "pythonjsonlogger",
    "sqlite3",
    "fastapi",
    "hypothesis",
    "rfs_monitoring.result_logging",
    "rfs_monitoring.metrics",
    "pytest_rfs.fixtures",
)

SHOW_HEAVY = f"""
import sys

HEAVY = {HEAVY!r}


def loaded():
    # under `coverage run` (subprocess patch) coverage itself loads sqlite3 for its data file
    own = ("sqlite3",) if "coverage" in sys.modules else ()
    return [name for name in HEAVY if name in sys.modules and name not in own]
"""

BASE_ARGS = ("-p", "no:cacheprovider", "-p", "no:schemathesis")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester.runpytest_subprocess(*BASE_ARGS, *args)


class TestNothingHeavyIsLoaded:
    def test_a_plain_suite_imports_none_of_the_heavy_modules(
        self, pytester: pytest.Pytester
    ) -> None:
        pytester.makepyfile(
            SHOW_HEAVY
            + """
def test_plain():
    assert loaded() == []
"""
        )
        outcome = run(pytester)
        outcome.assert_outcomes(passed=1)

    def test_the_plugin_is_loaded_all_the_same(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            def test_loaded(pytestconfig):
                assert pytestconfig.pluginmanager.has_plugin("rfs")
                assert pytestconfig.getoption("rfs_seed") is None
            """
        )
        run(pytester).assert_outcomes(passed=1)

    def test_a_failed_comparison_of_plain_values_loads_nothing_heavy(
        self, pytester: pytest.Pytester
    ) -> None:
        """The ``==`` explanation hook runs on every failed assertion; it stays light."""
        pytester.makepyfile(
            SHOW_HEAVY
            + """
def test_fails():
    assert [1, 2] == [1, 3]


def test_after():
    assert loaded() == []
"""
        )
        outcome = run(pytester)
        outcome.assert_outcomes(passed=1, failed=1)
        outcome.stdout.fnmatch_lines(["*At index 1 diff: 2 != 3*"])


class TestOtherItems:
    def test_items_without_fixtures_are_left_alone(self, pytester: pytest.Pytester) -> None:
        """A plugin's own item type (no ``fixturenames``) neither breaks nor registers."""
        pytester.makeconftest(
            """
            import pytest

            class CheckItem(pytest.Item):
                def runtest(self):
                    import sys
                    assert "pytest_rfs.fixtures" not in sys.modules

            class CheckFile(pytest.File):
                def collect(self):
                    yield CheckItem.from_parent(self, name="check")

            def pytest_collect_file(parent, file_path):
                if file_path.suffix == ".check":
                    return CheckFile.from_parent(parent, path=file_path)
            """
        )
        pytester.makefile(".check", "anything")
        run(pytester).assert_outcomes(passed=1)


class TestFixturesStillWork:
    def test_using_a_fixture_registers_them(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            SHOW_HEAVY
            + """
from rfs_monitoring import APIError, Failure, Success
from rfs_monitoring.result_logging import log_result_operation


class Users:
    def get(self, user_id):
        return Success(user_id)


@log_result_operation("lookup")
def lookup(i):
    return Success(i) if i else Failure(APIError.not_found("user", i))


def test_logs_and_mocks(rfs_logs, result_mocker):
    users = Users()
    result_mocker.patch(users, "get").return_error(APIError.not_found("user", "u-1"))
    assert users.get("u-1").is_failure()
    lookup(0)
    assert [entry.operation_name for entry in rfs_logs.entries] == ["lookup"]
    assert "pytest_rfs.fixtures" in loaded()


def test_metrics_with_the_clock_it_depends_on(rfs_metrics):
    assert rfs_metrics.clock() == 1_767_225_600.0
"""
        )
        run(pytester).assert_outcomes(passed=2)

    def test_a_fixture_asked_for_by_a_conftest_fixture(self, pytester: pytest.Pytester) -> None:
        pytester.makeconftest(
            """
            import pytest

            @pytest.fixture
            def seeded(rfs_factory):
                return rfs_factory
            """
        )
        pytester.makepyfile(
            """
            from pytest_rfs import ResultFactory

            def test_seeded(seeded):
                assert isinstance(seeded, ResultFactory)
            """
        )
        run(pytester).assert_outcomes(passed=1)

    def test_the_seed_option_reaches_the_factory(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            from pytest_rfs.generators import seed_for

            def test_seed(rfs_factory, request):
                assert rfs_factory.seed == seed_for(request.node.nodeid, 7)
            """
        )
        run(pytester, "--rfs-seed=7").assert_outcomes(passed=1)

    def test_fixtures_are_listed_by_dash_dash_fixtures(self, pytester: pytest.Pytester) -> None:
        outcome = run(pytester, "--fixtures")
        assert outcome.ret == 0
        outcome.stdout.fnmatch_lines(["*fixtures defined from pytest_rfs.fixtures*", "rfs_logs*"])

    def test_every_fixture_of_the_plugin_triggers_the_registration(
        self, pytester: pytest.Pytester
    ) -> None:
        """A fixture named outside the rule would be found by ``--fixtures`` only."""
        outcome = run(pytester, "--fixtures")
        lines = outcome.stdout.lines
        start = next(i for i, line in enumerate(lines) if "from pytest_rfs.fixtures" in line)
        names = []
        for line in lines[start + 1 :]:
            if line.startswith(("---", "===")):
                break
            if line and not line.startswith(" "):
                names.append(line.split()[0].rstrip(":"))
        assert "result_mocker" in names
        assert [name for name in names if not is_plugin_fixture(name)] == []

    def test_dynamic_lookup_needs_the_fixtures_loaded(self, pytester: pytest.Pytester) -> None:
        """``request.getfixturevalue`` alone does not register them; ``-p`` does."""
        pytester.makepyfile(
            """
            def test_dynamic(request):
                assert request.getfixturevalue("rfs_factory") is not None
            """
        )
        run(pytester).assert_outcomes(failed=1)
        run(pytester, "-p", "pytest_rfs.fixtures").assert_outcomes(passed=1)


class TestAssertionRewriting:
    def test_the_helpers_modules_are_rewritten(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(
            """
            import pytest_rfs.assertions
            import pytest_rfs.mocking

            def test_rewritten():
                for module in (pytest_rfs.assertions, pytest_rfs.mocking):
                    assert type(module.__loader__).__name__ == "AssertionRewritingHook"
            """
        )
        run(pytester).assert_outcomes(passed=1)
