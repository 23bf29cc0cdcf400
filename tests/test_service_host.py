"""A plugin's own tests can run the real service in their process, the plugin registered by its
import reference (``api.testing.running_service``), and grade through GraphQL."""

from __future__ import annotations

import pytest

from api.testing import ServiceError, running_service


async def test_a_plugin_under_test_grades_through_the_real_service():
    async with running_service("samples=sample_plugins:steady_plugin") as service:
        customer = await service.customer(industry_code="F51")
        await service.statement(customer)
        assessment = await service.assess(customer)
        assert (assessment["strategyId"], assessment["grade"], assessment["pluginName"]) == ("steady", "B", "samples")
        # The built-in strategies are there too.
        other = await service.customer(industry_code="C34", name="A Manufacturer Co., Ltd.")
        assert (await service.assess(other))["strategyId"] == "manufacturing"


async def test_a_failing_grading_is_a_clear_error_in_the_plugins_test():
    async with running_service("samples=sample_plugins:crashes", preferences={"C": "crashes"}) as service:
        customer = await service.customer(industry_code="C34")
        with pytest.raises(ServiceError, match="plugin 'samples' stopped while grading"):
            await service.assess(customer)


def test_a_plugin_reference_must_name_the_plugin_and_its_module():
    from pydantic import ValidationError

    from api.settings import Settings

    with pytest.raises(ValidationError, match="name=module"):
        Settings(extra_plugins=["sample_plugins:steady_plugin"])
