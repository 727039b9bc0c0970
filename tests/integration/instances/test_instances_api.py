"""The instance API over an in-memory driver: states, bad input, permissions and the tenant cascade."""

from __future__ import annotations

from pathlib import Path

from bbws.core.driver import Versions
from tests.integration.instances.conftest import InstanceHarness
from tests.support.api import ApiHarness


def _path(tenant_id: str, instance_id: str = "", *more: str) -> str:
    return "/".join(p for p in (f"/v1.0/tenants/{tenant_id}/instances", instance_id, *more) if p)


def test_create_shows_pending_then_active_with_resources_and_links(api: InstanceHarness) -> None:
    tenant = api.active_tenant()
    response = api.client.post(_path(tenant["tenantId"]), json={"environment": "dev", "desiredCount": 3},
                               headers=api.admin())
    assert response.status_code == 202
    op = response.json()
    assert op["operationType"] == "INSTANCE_PROVISION" and op["_links"]["resource"]["href"].endswith(op["resourceId"])
    pending = api.get_instance(tenant["tenantId"], op["resourceId"])
    assert pending["status"] == "PENDING_PROVISIONING" and "operation" in pending["_links"]
    finished = api.wait(response)
    assert finished["status"] == "COMPLETED" and finished["result"]["status"] == "ACTIVE"
    item = api.get_instance(tenant["tenantId"], op["resourceId"])
    assert item["status"] == "ACTIVE" and item["runningCount"] == 3 and item["desiredCount"] == 3
    assert item["url"].startswith("http://127.0.0.1:") and item["resources"]["port"]
    assert item["wordpressVersion"] == "6.1.9" and item["phpVersion"] == "8.2"
    assert {"stop", "scale", "update", "delete", "status"} <= set(item["_links"]) and "start" not in item["_links"]


def test_one_instance_per_environment(api: InstanceHarness) -> None:
    tenant = api.active_tenant()
    api.create_instance(tenant["tenantId"], "dev")
    again = api.client.post(_path(tenant["tenantId"]), json={"environment": "dev"}, headers=api.admin())
    assert again.status_code == 409 and again.json()["code"] == "INSTANCE_EXISTS"
    api.create_instance(tenant["tenantId"], "sit")
    listed = api.client.get(_path(tenant["tenantId"]), headers=api.admin()).json()
    assert sorted(i["environment"] for i in listed["items"]) == ["dev", "sit"]


def test_bad_input_is_refused_and_changes_nothing(api: InstanceHarness) -> None:
    tenant = api.active_tenant()
    tid = tenant["tenantId"]
    for body in ({"environment": "qa"}, {"environment": "dev", "desiredCount": 0},
                 {"environment": "dev", "desiredCount": 11}, {"environment": "dev", "extra": 1}):
        assert api.client.post(_path(tid), json=body, headers=api.admin()).status_code == 400, body
    unknown = api.client.post(_path(tid), json={"environment": "dev", "wordpressVersion": "4.0"}, headers=api.admin())
    assert unknown.status_code == 422 and unknown.json()["code"] == "UNSUPPORTED_VERSION"
    assert api.client.get(_path(tid), headers=api.admin()).json()["items"] == []
    item = api.create_instance(tid)
    iid = item["instanceId"]
    for url, body in ((_path(tid, iid, "status"), {"action": "pause"}), (_path(tid, iid, "size"), {"desiredCount": 0}),
                      (_path(tid, iid, "size"), {"desiredCount": 11})):
        assert api.client.put(url, json=body, headers=api.admin()).status_code == 400
    nothing = api.client.put(_path(tid, iid), json={}, headers=api.admin())
    assert nothing.status_code == 422 and nothing.json()["code"] == "NOTHING_TO_UPDATE"
    php = api.client.put(_path(tid, iid), json={"phpVersion": "5.6"}, headers=api.admin())
    assert php.status_code == 422 and php.json()["code"] == "UNSUPPORTED_VERSION"
    assert api.get_instance(tid, iid)["version"] == item["version"]


def test_stop_start_scale_update_delete(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    iid = api.create_instance(tid)["instanceId"]
    stop = api.wait(api.client.put(_path(tid, iid, "status"), json={"action": "stop"}, headers=api.admin()))
    assert stop["result"]["status"] == "SUSPENDED"
    again = api.client.put(_path(tid, iid, "status"), json={"action": "stop"}, headers=api.admin())
    assert again.status_code == 422 and again.json()["code"] == "INVALID_STATUS_TRANSITION"
    scale_stopped = api.client.put(_path(tid, iid, "size"), json={"desiredCount": 3}, headers=api.admin())
    assert scale_stopped.status_code == 422
    api.wait(api.client.put(_path(tid, iid, "status"), json={"action": "start"}, headers=api.admin()))
    api.wait(api.client.put(_path(tid, iid, "size"), json={"desiredCount": 4}, headers=api.admin()))
    status = api.client.get(_path(tid, iid, "status"), headers=api.admin()).json()
    assert status["status"] == "ACTIVE" and status["runningCount"] == 4 and status["pendingCount"] == 0
    updated = api.wait(api.client.put(_path(tid, iid), json={"settings": {"phpMemoryLimit": "256M"}},
                                      headers=api.admin()))
    assert updated["status"] == "COMPLETED"
    assert api.get_instance(tid, iid)["settings"] == {"phpMemoryLimit": "256M"}
    deleted = api.wait(api.client.delete(_path(tid, iid), headers=api.admin()))
    assert deleted["result"]["status"] == "DEPROVISIONED"
    gone = api.get_instance(tid, iid)
    assert gone["status"] == "DEPROVISIONED" and gone["url"] is None and set(gone["_links"]) >= {"self"}
    assert "delete" not in gone["_links"]
    again = api.create_instance(tid)  # a deprovisioned environment can have a new instance
    assert again["instanceId"] != iid


def test_second_action_while_one_is_queued_is_409(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    iid = api.create_instance(tid)["instanceId"]
    first = api.client.put(_path(tid, iid, "size"), json={"desiredCount": 2}, headers=api.admin())
    assert first.status_code == 202
    second = api.client.put(_path(tid, iid, "status"), json={"action": "stop"}, headers=api.admin())
    assert second.status_code == 409 and second.json()["code"] == "OPERATION_IN_PROGRESS"


def test_failed_provisioning_leaves_failed_with_reason_and_can_be_deleted(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    api.driver.fail_next["provision"] = "port range exhausted"
    op = api.wait(api.client.post(_path(tid), json={"environment": "dev"}, headers=api.admin()))
    assert op["status"] == "FAILED" and "port range exhausted" in op["error"]["detail"]
    item = api.get_instance(tid, op["resourceId"])
    assert item["status"] == "FAILED" and item["lastError"] == "port range exhausted"
    assert "delete" in item["_links"] and "update" in item["_links"]
    api.wait(api.client.put(_path(tid, item["instanceId"]), json={"desiredCount": 1}, headers=api.admin()))
    assert api.get_instance(tid, item["instanceId"])["status"] == "ACTIVE"


def test_cancelled_create_frees_the_environment(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    response = api.client.post(_path(tid), json={"environment": "prod"}, headers=api.admin())
    cancel = api.client.post(response.headers["location"] + "/cancel", headers=api.admin())
    assert cancel.status_code == 200, cancel.text
    assert api.get_instance(tid, response.json()["resourceId"])["status"] == "DEPROVISIONED"
    api.create_instance(tid, "prod")


def test_tenant_not_active_cannot_create_or_start(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    iid = api.create_instance(tid)["instanceId"]
    park = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/park", json={"reason": "Invoice overdue by 30 days"},
                           headers=api.admin())
    api.wait(park)
    assert api.get_instance(tid, iid)["status"] == "SUSPENDED"
    create = api.client.post(_path(tid), json={"environment": "sit"}, headers=api.admin())
    assert create.status_code == 422 and create.json()["code"] == "TENANT_NOT_ACTIVE"
    start = api.client.put(_path(tid, iid, "status"), json={"action": "start"}, headers=api.admin())
    assert start.status_code == 422 and start.json()["code"] == "TENANT_NOT_ACTIVE"
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/unpark", headers=api.admin()))
    assert api.get_instance(tid, iid)["status"] == "ACTIVE"


def test_unpark_leaves_instances_their_users_stopped(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    dev = api.create_instance(tid, "dev")["instanceId"]
    sit = api.create_instance(tid, "sit")["instanceId"]
    api.wait(api.client.put(_path(tid, sit, "status"), json={"action": "stop"}, headers=api.admin()))
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/suspend", json={"reason": "Abuse report under review"},
                             headers=api.admin()))
    assert api.get_instance(tid, dev)["status"] == "SUSPENDED"
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/resume", headers=api.admin()))
    assert api.get_instance(tid, dev)["status"] == "ACTIVE"
    assert api.get_instance(tid, sit)["status"] == "SUSPENDED"


def test_tenant_delete_deprovisions_its_instances(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    iid = api.create_instance(tid)["instanceId"]
    api.wait(api.client.delete(f"/v1.0/tenants/{tid}", headers=api.admin()))
    assert api.get_instance(tid, iid)["status"] == "DEPROVISIONED"
    assert ("deprovision", tid, "dev") in api.driver.calls


def test_tenant_action_waits_for_a_busy_instance(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    iid = api.create_instance(tid)["instanceId"]
    api.client.put(_path(tid, iid, "size"), json={"desiredCount": 2}, headers=api.admin())
    park = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/park", json={"reason": "Invoice overdue by 30 days"},
                           headers=api.admin())
    assert park.status_code == 409 and park.json()["instanceId"] == iid


def test_roles(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    iid = api.create_instance(tid)["instanceId"]
    operator, viewer = api.member(tid, "OPERATOR"), api.member(tid, "VIEWER")
    team_admin = api.member(tid, "ADMIN", node_path="div_x")
    assert api.client.get(_path(tid, iid), headers=viewer).status_code == 200
    assert api.client.put(_path(tid, iid, "size"), json={"desiredCount": 2}, headers=viewer).status_code == 403
    assert api.client.post(_path(tid), json={"environment": "sit"}, headers=operator).status_code == 403
    assert api.client.delete(_path(tid, iid), headers=operator).status_code == 403
    assert api.client.post(_path(tid), json={"environment": "sit"}, headers=team_admin).status_code == 403
    assert api.client.put(_path(tid, iid, "size"), json={"desiredCount": 2}, headers=operator).status_code == 202


def test_env_scoped_token_sees_only_its_environment(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    dev = api.create_instance(tid, "dev")["instanceId"]
    prod = api.create_instance(tid, "prod")["instanceId"]
    scoped = api.member(tid, "ADMIN", scope="env:dev")
    listed = api.client.get(_path(tid), headers=scoped).json()["items"]
    assert [i["instanceId"] for i in listed] == [dev]
    assert api.client.get(_path(tid, prod), headers=scoped).status_code == 403
    assert api.client.post(_path(tid), json={"environment": "sit"}, headers=scoped).status_code == 403


def test_other_tenants_instances_are_invisible(api: InstanceHarness) -> None:
    mine, theirs = api.active_tenant()["tenantId"], api.active_tenant()["tenantId"]
    iid = api.create_instance(theirs)["instanceId"]
    me = api.member(mine, "ADMIN")
    assert api.client.get(_path(theirs), headers=me).status_code == 404
    assert api.client.get(_path(theirs, iid), headers=me).status_code == 404
    assert api.client.get(_path(mine, iid), headers=me).status_code == 404  # right id, wrong tenant


def test_a_runtime_that_is_not_ready_is_503_and_changes_nothing(api: InstanceHarness) -> None:
    tid = api.active_tenant()["tenantId"]
    api.driver.versions = lambda: Versions(wordpress=(), php=())  # type: ignore[method-assign]
    response = api.client.post(_path(tid), json={"environment": "dev"}, headers=api.admin())
    assert response.status_code == 503 and response.json()["code"] == "RUNTIME_NOT_READY"
    assert api.client.get(_path(tid), headers=api.admin()).json()["items"] == []


def test_a_gitops_runtime_without_its_repository_is_503(tmp_path: Path) -> None:
    harness = ApiHarness(tmp_path / "data", runtime="gitops")
    tenant = harness.create_tenant()
    harness.run_jobs()
    response = harness.client.post(_path(tenant["tenantId"]), json={"environment": "dev"}, headers=harness.admin())
    assert response.status_code == 503, response.text
    assert response.json()["detail"].startswith("BBWS_GITOPS_REPO is not set")
