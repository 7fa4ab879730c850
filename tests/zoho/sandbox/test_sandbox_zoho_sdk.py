"""Zoho's official Python SDK (zohocrmsdk8-0) against the sandbox.

If the SDK can refresh a token, read field metadata, and get and update the
sample deal here, the sandbox's wire format is close enough to Zoho's for a
client written from Zoho's documentation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.fields import (
    FieldsOperations,
    GetFieldsParam,
)
from zohocrmsdk.src.com.zoho.crm.api.fields import (
    ResponseWrapper as FieldsResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    BodyWrapper,
    Record,
    RecordOperations,
    ResponseWrapper,
    SuccessResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

from actionplane.zoho.sandbox import SandboxServer, seed


class LoopbackDataCenter(DataCenter):
    """A data center whose accounts and API hosts are the sandbox."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get_iam_url(self) -> str:
        return f"{self.url}/oauth/v2/token"

    def get_file_upload_url(self) -> str:
        return self.url

    def environment(self) -> Any:
        return DataCenter.Environment(
            self.url, self.get_iam_url(), self.get_file_upload_url()
        )


def initialize_sdk(url: str, folder: Path) -> None:
    token = OAuthToken(
        client_id=seed.CLIENT_ID,
        client_secret=seed.CLIENT_SECRET,
        refresh_token=seed.REFRESH_TOKEN,
    )
    Initializer.initialize(
        environment=LoopbackDataCenter(url).environment(),
        token=token,
        store=FileStore(str(folder / "sdk_tokens.csv")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
        resource_path=str(folder),
        logger=Logger.get_instance(
            level=Logger.Levels.INFO, file_path=str(folder / "sdk.log")
        ),
    )


def test_zoho_sdk_reads_and_updates_sample_deal(tmp_path: Path):
    with SandboxServer() as sandbox:
        initialize_sdk(sandbox.url, tmp_path)

        params = ParameterMap()
        params.add(GetFieldsParam.module, "Deals")
        fields = FieldsOperations().get_fields(params)

        deals = RecordOperations("Deals")
        read = deals.get_record(int(seed.SAMPLE_DEAL_ID))

        change = Record()
        change.add_key_value("Next_Step", "Confirm the budget")
        change.add_key_value("Amount", 51000.5)
        body = BodyWrapper()
        body.set_data([change])
        update = deals.update_record(int(seed.SAMPLE_DEAL_ID), body)

        stored = sandbox.record("Deals", seed.SAMPLE_DEAL_ID)
        paths = [call["path"] for call in sandbox.calls()]

    assert paths[0] == "/oauth/v2/token"
    assert fields.get_status_code() == 200
    assert isinstance(fields.get_object(), FieldsResponse)
    names = [field.get_api_name() for field in fields.get_object().get_fields()]
    assert "Stage" in names

    assert read.get_status_code() == 200
    assert isinstance(read.get_object(), ResponseWrapper)
    record = read.get_object().get_data()[0]
    assert str(record.get_id()) == seed.SAMPLE_DEAL_ID
    assert record.get_key_value("Deal_Name") == seed.SAMPLE_DEAL["Deal_Name"]
    assert record.get_key_value("Stage").get_value() == seed.SAMPLE_DEAL["Stage"]
    assert record.get_key_value("Amount") == seed.SAMPLE_DEAL["Amount"]

    assert update.get_status_code() == 200
    assert isinstance(update.get_object(), ActionWrapper)
    result = update.get_object().get_data()[0]
    assert isinstance(result, SuccessResponse)
    assert result.get_code().get_value() == "SUCCESS"
    assert stored is not None
    assert stored["Next_Step"] == "Confirm the budget"
    assert stored["Amount"] == 51000.5

    assert (tmp_path / "sdk_tokens.csv").exists()
