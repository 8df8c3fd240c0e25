def test_home_page_is_spanish_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="es-CL"' in page
    assert "opinión vinculante" in page
