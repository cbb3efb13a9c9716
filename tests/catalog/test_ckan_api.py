"""The portal speaks CKAN's Action API: the real `ckanapi` client over real HTTP lists and shows datasets."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

ckanapi = pytest.importorskip("ckanapi", reason="the CKAN API tests need the ckanapi client (dev extras)")

from catalog.portal import create_app  # noqa: E402
from catalog.portal.ckan_api import ApiError, parse_fq  # noqa: E402
from tests.catalog.helpers import build_catalog, free_port, serving  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(tmp_path_factory.mktemp("ckan-api"), base_url=base)
    with serving(create_app(store, base), port) as url:
        yield url
    store.close()


@pytest.fixture(params=["POST", "GET"])
def ckan(site: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """RemoteCKAN POSTs JSON by default; get_only=True sends query strings, as harvesters do."""
    with ckanapi.RemoteCKAN(site, get_only=request.param == "GET", user_agent="kaifang-tests") as remote:
        yield remote


def raw(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_package_list_names_every_dataset(ckan) -> None:
    assert ckan.action.package_list() == ["bus-ridership", "clinic-visits", "court-cases", "road-works"]
    assert ckan.action.package_list(limit=2, offset=1) == ["clinic-visits", "court-cases"]


def test_package_show_of_an_open_dataset_has_its_downloads(ckan, site: str) -> None:
    package = ckan.action.package_show(id="bus-ridership")
    assert package["title"] == "公交客流统计" and package["version"] == "2"
    assert package["organization"]["title"] == "济南市交通运输局"
    assert {r["format"] for r in package["resources"]} == {"CSV", "PARQUET", "JSON"}
    assert all(r["url"].startswith(f"{site}/datasets/bus-ridership/versions/2/files/") for r in package["resources"])


def test_a_conditional_dataset_lists_conditions_and_the_application_never_a_download(ckan, site: str) -> None:
    package = ckan.action.package_show(id="clinic-visits")
    apply_url = f"{site}/datasets/clinic-visits/apply"
    assert package["conditions"] == "仅限科研用途" and package["application_url"] == apply_url
    assert package["resources"] and all(r["url"] == apply_url for r in package["resources"])
    assert "/files/" not in json.dumps(package)


def test_a_not_open_dataset_has_no_resources(ckan) -> None:
    package = ckan.action.package_show(id="court-cases")
    assert package["resources"] == [] and package["num_resources"] == 0


def test_unknown_package_raises_ckanapis_not_found(ckan) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-dataset")


def test_package_search_with_q_fq_rows_and_start(ckan) -> None:
    assert [p["name"] for p in ckan.action.package_search(q="门诊")["results"]] == ["clinic-visits"]
    assert ckan.action.package_search(q="客流")["count"] == 4  # every sample has the keyword
    assert ckan.action.package_search(q="*:*")["count"] == 4
    org = ckan.action.package_show(id="clinic-visits")["organization"]["name"]
    found = ckan.action.package_search(fq=f"organization:{org}")
    assert [p["name"] for p in found["results"]] == ["clinic-visits"]
    assert ckan.action.package_search(fq="res_format:CSV")["count"] == 3
    assert ckan.action.package_search(fq="-res_format:CSV")["count"] == 1
    assert ckan.action.package_search(fq="access:conditional")["count"] == 1
    page = ckan.action.package_search(rows=2, start=2, sort="name asc")
    assert page["count"] == 4 and [p["name"] for p in page["results"]] == ["court-cases", "road-works"]


def test_package_search_facets_count_datasets(ckan) -> None:
    found = ckan.action.package_search(**{"facet.field": ["res_format", "groups"], "rows": 0})
    assert found["results"] == [] and found["facets"]["res_format"]["CSV"] == 3
    titles = {i["display_name"]: i["count"] for i in found["search_facets"]["groups"]["items"]}
    assert titles["交通出行"] == 1 and titles["司法"] == 1


def test_a_bad_filter_is_a_search_query_error(ckan) -> None:
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="colour:blue")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows="many")


def test_organizations_and_groups(ckan) -> None:
    orgs = ckan.action.organization_list(all_fields=True)
    assert {o["title"]: o["package_count"] for o in orgs}["济南市交通运输局"] == 2
    assert all(o["name"].isascii() for o in orgs)
    assert len(ckan.action.group_list()) == 4
    group = ckan.action.group_show(id=ckan.action.group_list()[0])
    assert group["packages"]


def test_status_show(ckan) -> None:
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.") and status["locale_default"] == "zh_Hans_CN"


def test_both_api_paths_answer_in_ckans_envelope(site: str) -> None:
    for prefix in ("/api/3/action/", "/api/action/"):
        status, body = raw(site + prefix + "package_list")
        assert status == 200 and body["success"] is True and body["help"].endswith("name=package_list")
    status, body = raw(site + "/api/3/action/package_show?id=nope")
    assert status == 404 and body["success"] is False and body["error"]["__type"] == "Not Found Error"
    status, body = raw(site + "/api/3/action/package_delete")
    assert status == 400 and body["error"]["__type"] == "Bad Request"


def test_ckan_version_discovery(site: str) -> None:
    assert raw(site + "/api/3") == (200, {"version": 3})


def test_fq_parser_reads_quoted_and_negated_terms() -> None:
    assert parse_fq('organization:"ji-nan" -tags:公交 +res_format:CSV') == [
        (True, "organization", "ji-nan"), (False, "tags", "公交"), (True, "res_format", "CSV")]

FIELD = st.sampled_from(["name", "organization", "groups", "tags", "res_format", "license_id", "access"])
VALUE = st.text(st.characters(blacklist_characters='"', blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
                min_size=1, max_size=12)


@given(st.lists(st.tuples(st.booleans(), FIELD, VALUE), max_size=5))
def test_fq_terms_round_trip(terms: list[tuple[bool, str, str]]) -> None:
    text = " ".join(f'{"" if include else "-"}{field}:"{value}"' for include, field, value in terms)
    assert parse_fq(text) == terms


@given(st.text(max_size=60))
def test_any_fq_parses_or_is_a_search_query_error(text: str) -> None:
    try:
        parse_fq(text)
    except ApiError as error:
        assert (error.status, error.kind) == (409, "Search Query Error")
