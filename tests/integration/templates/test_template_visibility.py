"""A template a caller cannot see answers the same 404 everywhere it can be named: no route tells it exists."""

from __future__ import annotations

from tests.integration.templates.conftest import TemplateHarness
from tests.support.api import rid


def test_a_draft_template_is_not_found_wherever_a_tenant_names_it(api: TemplateHarness) -> None:
    site = api.site()
    draft = api.make(site)["result"]
    tid = site["tenantId"]
    owner = api.member(tid, "ADMIN")
    subdomain = rid("s").replace("-", "")

    for ref in (draft["templateId"], draft["slug"], f"{draft['templateId']}@1", f"{draft['slug']}@1"):
        calls = {
            "read": api.get(ref, owner),
            "versions": api.client.get(f"/v1.0/templates/{ref}/versions", headers=owner),
            "preview": api.client.post(f"/v1.0/templates/{ref}/preview", json={"tenantId": tid}, headers=owner),
            "apply-template": api.client.post(
                f"/v1.0/tenants/{tid}/sites/{site['siteId']}/apply-template", json={"templateId": ref}, headers=owner
            ),
            "create site": api.client.post(
                f"/v1.0/tenants/{tid}/sites",
                json={"siteName": "From a draft", "subdomain": subdomain, "environment": "dev", "templateId": ref},
                headers=owner,
            ),
        }
        for what, r in calls.items():
            assert r.status_code == 404, (ref, what, r.text)
            problem = r.json()
            assert problem["code"] == "TEMP_001", (ref, what, problem)
            assert problem["detail"] == f"Template {ref} was not found.", (ref, what, problem)
            assert "versions" not in problem and "versionStatus" not in problem, (ref, what, problem)

    # the platform admin, who may see it, is told why it cannot be used without naming a version
    admin = api.client.post(
        f"/v1.0/tenants/{tid}/sites/{site['siteId']}/apply-template", json={"templateId": draft["slug"]},
        headers=api.admin(),
    )
    assert admin.status_code == 422 and admin.json()["code"] == "TEMP_002", admin.text
