from web_fixtures import TRANSCRIPT


def test_sign_in_upload_and_read_report(client_for, pipeline):
    clinician = client_for("clinician")
    response = clinician.upload(("visit.txt", TRANSCRIPT), title="Headache review")
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    page = clinician.get(location)
    assert page.status_code == 200
    assert "Headache review" in page.text
    assert "worried about these headaches" in page.text
