from web_fixtures import TRANSCRIPT, follow_job


def test_sign_in_upload_and_read_report(client_for, pipeline):
    clinician = client_for("clinician")
    response = clinician.upload(("visit.txt", TRANSCRIPT), title="Headache review")
    assert response.status_code == 303, response.text
    location = follow_job(clinician, response)
    page = clinician.get(location)
    assert page.status_code == 200
    assert "Headache review" in page.text
    assert "worried about these headaches" in page.text
