"""The demo: start the local cloud as a separate process, drive it with the official SDKs, stop it with Ctrl-C.

Until the functions exist this shows the local cloud itself: everything a client does here goes over real
HTTP with real signatures, exactly as it would against Alibaba Cloud.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from alibabacloud_dms20250414 import models as dms_models
from alibabacloud_dms20250414.client import Client as DmsClient
from alibabacloud_dms_enterprise20181101 import models as enterprise_models
from alibabacloud_dms_enterprise20181101.client import Client as EnterpriseClient
from alibabacloud_tea_openapi.exceptions import ThrottlingException
from alibabacloud_tea_openapi.models import Config
from mns.account import Account
from mns.queue import QueueMeta
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localcloud.control.client import ControlClient  # noqa: E402
from localcloud.process import LocalCloudProcess  # noqa: E402


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def pop_config(env: dict[str, str], endpoint: str) -> Config:
    return Config(
        access_key_id=env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        access_key_secret=env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        security_token=env["ALIBABA_CLOUD_SECURITY_TOKEN"],
        endpoint=endpoint.removeprefix("http://"),
        protocol="http",
        region_id=env["ALIBABA_CLOUD_REGION_ID"],
        read_timeout=3000,
        connect_timeout=1000,
    )


def show(label: str, value: Any) -> None:
    print(f"   {label}: {value}", flush=True)


def run(env: dict[str, str]) -> None:
    control = ControlClient(env["LOCALCLOUD_CONTROL_URL"])
    account = Account(
        env["MNS_ENDPOINT"],
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        env["ALIBABA_CLOUD_SECURITY_TOKEN"],
    )

    step("MNS: a queue subscribed to a topic, as the product's result topic will be")
    queue = account.get_queue("onboarding-outcomes")
    queue.create(QueueMeta())
    queue.set_encoding(False)
    topic = account.get_topic("onboarding-results")
    topic.create(TopicMeta())
    endpoint = f"acs:mns:{env['ALIBABA_CLOUD_REGION_ID']}:{env['LOCALCLOUD_ACCOUNT_ID']}:queues/onboarding-outcomes"
    topic.get_subscription("outcomes-to-queue").subscribe(
        SubscriptionMeta(endpoint, notify_content_format="SIMPLIFIED")
    )
    published = topic.publish_message(TopicMessage(json.dumps({"status": "provisioned", "uid": "2000000000001"})))
    show("published", published.message_id)
    received = queue.receive_message(wait_seconds=3)
    show("the subscribed queue received", received.message_body)
    show("dequeue count", received.dequeue_count)
    queue.delete_message(received.receipt_handle)
    show("deleted with receipt handle", received.receipt_handle)

    step("DMS: RegisterUser (dms-enterprise 2018-11-01), signed with ACS3-HMAC-SHA256 and an STS token")
    enterprise = EnterpriseClient(pop_config(env, env["DMS_ENTERPRISE_ENDPOINT"]))
    request = enterprise_models.RegisterUserRequest(
        uid="2000000000001", user_nick="Ada Lovelace", role_names="USER,DBA"
    )
    answer = enterprise.register_user(request)
    show("first registration", {"Success": answer.body.success, "RequestId": answer.body.request_id})
    again = enterprise.register_user(request)
    show(
        "second registration",
        {"Success": again.body.success, "ErrorCode": again.body.error_code, "ErrorMessage": again.body.error_message},
    )

    step("DMS: AddUserToDataAgentWorkspace (dms 2025-04-14) into a workspace seeded through the control plane")
    control.seed({"workspaces": [{"workspace_id": "209230000007291", "name": "analytics"}]})
    dms = DmsClient(pop_config(env, env["DMS_ENDPOINT"]))
    added = dms.add_user_to_data_agent_workspace(
        dms_models.AddUserToDataAgentWorkspaceRequest(
            workspace_id="209230000007291", member_id="2000000000001", role_name="MEMBER"
        )
    )
    show("member", added.body.data.to_map() if added.body.data else added.body.to_map())

    step("Fault injection: the next RegisterUser is throttled, as the real gateway would do")
    control.add_fault(
        service="dms-enterprise",
        action="RegisterUser",
        kind="error",
        status=400,
        code="Throttling.User",
        retry_after=200,
        count=1,
    )
    try:
        enterprise.register_user(enterprise_models.RegisterUserRequest(uid="2000000000002", user_nick="Grace Hopper"))
    except ThrottlingException as error:
        show("the SDK raised", f"{type(error).__name__} code={error.code} retry_after={error.retry_after}")

    step("Control plane: what the local cloud saw")
    calls = control.calls()
    show("API calls", ", ".join(f"{c['service']}:{c['action']}->{c['status']}" for c in calls))
    users = control.state("dms")["users"]
    show("DMS users", [(u["uid"], u["nick"], u["role_names"]) for u in users])


def main() -> int:
    cloud = LocalCloudProcess()
    step("Local cloud started; a client needs:")
    for name, value in cloud.env.items():
        show(name, value)
    try:
        run(cloud.env)
    finally:
        step("Stopping the local cloud with Ctrl-C (SIGINT)")
        code = cloud.stop()
        show("exit code", code)
    if code != 0:
        return code
    print("\ndemo finished", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
