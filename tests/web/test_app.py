"""The web shell: factory, pages, API and the error handler."""

from __future__ import annotations

from assetmap.web import create_app


def test_factory_takes_test_config(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "WALK_MINUTES": 7})
    assert app.config["WALK_MINUTES"] == 7
    assert app.config["DATABASE_URL"].endswith("x.sqlite")


def test_index_lists_wards_by_gap(client):
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "West" in text and "East" in text
    assert text.index("East") < text.index("West")  # East has no asset nearby: bigger gap


def test_health(client):
    body = client.get("/api/health").get_json()
    assert body == {"status": "ok", "wards": 2, "assets": 2}


def test_coverage_wards_api(client):
    rows = client.get("/api/coverage/wards").get_json()["wards"]
    by_code = {r["code"]: r for r in rows}
    assert set(by_code) == {"W1", "W2"}
    assert by_code["W1"]["n_assets"] == 2 and by_code["W2"]["n_assets"] == 0
    assert 0 <= by_code["W1"]["share_50plus_within_any"] <= 1


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_unknown_page_is_html_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404" in response.get_data(as_text=True)


def test_internal_errors_do_not_leak(app):
    @app.get("/api/boom")
    def boom():
        raise RuntimeError("secret connection string postgres://user:pw@db")

    response = app.test_client().get("/api/boom")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.get_json()["message"].startswith("Something went wrong")


def test_text_from_data_is_escaped_on_the_page(client):
    # The zoo's east ward is named 'East <script>alert(1)</script>'.
    page = client.get("/").get_data(as_text=True)
    assert "East &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_vendor_files_are_served_locally(client):
    script = client.get("/vendor/leaflet.js")
    assert script.status_code == 200
    assert b"Leaflet" in script.data[:2000]
    assert client.get("/vendor/MarkerCluster.css").status_code == 200


def test_only_listed_vendor_files_are_served(client):
    assert client.get("/vendor/leaflet/package.json").status_code == 404
    assert client.get("/vendor/../package.json").status_code == 404
