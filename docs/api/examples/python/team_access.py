"""Build a division -> group -> team tree, give a user a role on the team, and invite someone to the group."""

import os
import sys
import uuid

import httpx

BASE_URL = os.environ.get("BBWS_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("BBWS_TOKEN") or sys.exit("Set BBWS_TOKEN to a bearer token (see authentication.md).")


def post(client: httpx.Client, url: str, body: dict) -> dict:
    response = client.post(url, json=body)
    response.raise_for_status()
    return response.json()


def main() -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=BASE_URL, headers=headers, timeout=30) as client:
        name = f"Example Org {uuid.uuid4().hex[:8]}"
        tenant = post(client, "/v1.0/tenants", {"organizationName": name, "contactEmail": "ops@example.com"})
        print(f"tenant {tenant['tenantId']} {tenant['status']}")

        # Each node links its children's collection: divisions -> groups -> teams.
        division = post(client, tenant["_links"]["divisions"]["href"], {"name": "Marketing"})
        group = post(client, division["_links"]["children"]["href"], {"name": "Campaigns"})
        team = post(client, group["_links"]["children"]["href"], {"name": "Spring Launch"})
        for node in (division, group, team):
            print(f"{node['kind'].lower()} {node['nodeId']} {node['name']} at {node['path']}")

        # A role on the team applies to the team only; on the group it would cover all its teams.
        user_id = f"dana-{uuid.uuid4().hex[:8]}"
        member = post(client, tenant["_links"]["users"]["href"],
                      {"userId": user_id, "role": "OPERATOR", "nodeId": team["nodeId"]})
        for assignment in member["assignments"]:
            print(f"{member['userId']} is {assignment['role']} on {assignment['nodeId']}")

        invitation = post(client, tenant["_links"]["invitations"]["href"],
                          {"email": "new.dev@example.com", "role": "VIEWER", "nodeId": group["nodeId"]})
        print(f"invited {invitation['email']} as {invitation['role']} of {invitation['nodeName']}: "
              f"{invitation['invitationId']} {invitation['status']} until {invitation['expiresAt']}")

        # A node with children (or with roles held on it) cannot be deleted, so it links no `delete`.
        division = client.get(division["_links"]["self"]["href"]).json()
        print(f"division links delete: {'yes' if 'delete' in division['_links'] else 'no'}")
        refused = client.delete(division["_links"]["self"]["href"])
        print(f"delete division: {refused.status_code} {refused.json()['code']}")

        members = client.get(team["_links"]["users"]["href"]).json()
        for item in members["items"]:
            print(f"team member: {item['userId']} ({', '.join(a['role'] for a in item['assignments'])})")


if __name__ == "__main__":
    main()
