//! Paged searches: next links, origin checks, loop guards, entered-in-error filtering.

use serde_json::json;

use super::*;

#[tokio::test]
async fn finished_encounters_are_read_across_pages_linked_by_next() {
    let (base, fake) = serve(|base| {
        let next = format!("{base}?_getpages=f00d&_getpagesoffset=2&_count=2");
        vec![
            (
                FIRST_PAGE.into(),
                ok(searchset(
                    base,
                    vec![
                        encounter("enc-1", "2025-03-02T10:00:00Z"),
                        encounter("enc-2", "2025-03-02T11:00:00Z"),
                    ],
                    Some(next),
                )),
            ),
            (
                "/fhir?_getpages=f00d&_getpagesoffset=2&_count=2".into(),
                ok(searchset(
                    base,
                    vec![
                        encounter("enc-3", "2025-03-03T14:05:00Z"),
                        json!({"resourceType": "Patient", "id": "pat-42"}),
                    ],
                    None,
                )),
            ),
        ]
    })
    .await;

    let found = client(&base)
        .finished_encounters_since(since(), 2)
        .await
        .unwrap();

    let ids: Vec<_> = found.iter().filter_map(|e| e.id.as_deref()).collect();
    assert_eq!(ids, ["enc-1", "enc-2", "enc-3"]);
    assert_eq!(found[2].patient_id(), Some("pat-42"));
    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(request.accept.as_deref(), Some("application/fhir+json"));
        assert_eq!(request.authorization.as_deref(), Some("Bearer tok-123"));
    }
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_without_being_followed() {
    let (base, fake) = serve(|base| {
        let page = searchset(
            base,
            vec![encounter("enc-1", "2025-03-02T10:00:00Z")],
            Some("http://fhir.elsewhere.test/fhir/Encounter?page=2".into()),
        );
        vec![(FIRST_PAGE.into(), ok(page))]
    })
    .await;

    let err = client(&base)
        .finished_encounters_since(since(), 2)
        .await
        .unwrap_err();

    match &err {
        FhirError::ForeignNextLink { origin } => assert_eq!(origin, "http://fhir.elsewhere.test"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn a_next_link_to_another_port_of_the_same_host_is_refused() {
    let (base, _fake) = serve(|base| {
        let page = searchset(
            base,
            vec![],
            Some("http://127.0.0.1:1/fhir/Encounter?p=2".into()),
        );
        vec![(FIRST_PAGE.into(), ok(page))]
    })
    .await;

    let err = client(&base)
        .finished_encounters_since(since(), 2)
        .await
        .unwrap_err();
    assert!(matches!(err, FhirError::ForeignNextLink { .. }), "{err:?}");
}

#[tokio::test]
async fn a_next_link_back_to_a_page_already_read_stops_the_search() {
    let (base, _fake) = serve(|base| {
        let first = format!("{base}/Condition?encounter=Encounter/enc-9001");
        let page = searchset(base, vec![], Some(first.clone()));
        vec![(
            "/fhir/Condition?encounter=Encounter/enc-9001".into(),
            ok(page),
        )]
    })
    .await;

    let err = client(&base).conditions_for("enc-9001").await.unwrap_err();
    assert!(matches!(err, FhirError::PagingLoop), "{err:?}");
}

#[tokio::test]
async fn a_search_longer_than_the_page_limit_fails() {
    let (base, fake) = serve(|base| {
        let next = format!("{base}/Condition?encounter=Encounter/enc-9001&page=2");
        let page = searchset(base, vec![], Some(next));
        vec![(
            "/fhir/Condition?encounter=Encounter/enc-9001".into(),
            ok(page),
        )]
    })
    .await;

    let err = client(&base)
        .with_max_pages(1)
        .conditions_for("enc-9001")
        .await
        .unwrap_err();
    assert!(
        matches!(err, FhirError::TooManyPages { limit: 1 }),
        "{err:?}"
    );
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn conditions_entered_in_error_are_skipped_on_every_page() {
    let (base, _fake) = serve(|base| {
        let next = format!("{base}/Condition?encounter=Encounter/enc-9001&page=2");
        vec![
            (
                "/fhir/Condition?encounter=Encounter/enc-9001".into(),
                ok(searchset(
                    base,
                    vec![
                        condition(
                            "cond-77",
                            "J18.9",
                            "Pneumonia, unspecified organism",
                            "confirmed",
                        ),
                        condition(
                            "cond-78",
                            "I10",
                            "Essential hypertension",
                            "entered-in-error",
                        ),
                    ],
                    Some(next),
                )),
            ),
            (
                "/fhir/Condition?encounter=Encounter/enc-9001&page=2".into(),
                ok(searchset(
                    base,
                    vec![condition(
                        "cond-79",
                        "I50.9",
                        "Heart failure, unspecified",
                        "provisional",
                    )],
                    None,
                )),
            ),
        ]
    })
    .await;

    let conditions = client(&base).conditions_for("enc-9001").await.unwrap();

    let ids: Vec<_> = conditions.iter().filter_map(|c| c.id.as_deref()).collect();
    assert_eq!(ids, ["cond-77", "cond-79"]);
    let code = conditions[0].code.as_ref().unwrap();
    assert_eq!(code.first_code(), Some("J18.9"));
}

#[tokio::test]
async fn observations_keep_values_and_components_but_not_entries_in_error() {
    let (base, _fake) = serve(|base| {
        let spo2 = json!({"resourceType": "Observation", "id": "obs-5", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]},
            "effectiveDateTime": "2025-03-01T08:00:00Z",
            "valueQuantity": {"value": 91, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}});
        let bp = json!({"resourceType": "Observation", "id": "obs-6", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
            "component": [
              {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
               "valueQuantity": {"value": 150, "unit": "mmHg"}},
              {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
               "valueQuantity": {"value": 95, "unit": "mmHg"}}]});
        let wrong = json!({"resourceType": "Observation", "id": "obs-7",
            "status": "entered-in-error", "code": {"text": "Heart rate"}});
        let page = searchset(base, vec![spo2, bp, wrong], None);
        vec![("/fhir/Observation?encounter=Encounter/enc-9001".into(), ok(page))]
    })
    .await;

    let observations = client(&base).observations_for("enc-9001").await.unwrap();

    assert_eq!(observations.len(), 2);
    let spo2 = observations[0].value_quantity.as_ref().unwrap();
    assert_eq!((spo2.value, spo2.unit.as_deref()), (Some(91.0), Some("%")));
    assert_eq!(observations[1].component.len(), 2);
}

#[tokio::test]
async fn a_cursor_search_includes_the_cursor_instant_and_drops_unfinished_encounters() {
    let (base, fake) = serve(|base| {
        let mut in_progress = encounter("enc-4", "2025-03-01T00:00:00Z");
        in_progress["status"] = json!("in-progress");
        let page = searchset(
            base,
            vec![encounter("enc-3", "2025-03-01T00:00:00Z"), in_progress],
            None,
        );
        vec![(
            "/fhir/Encounter?status=finished&_lastUpdated=ge2025-03-01T00:00:00Z&_count=50&_sort=_lastUpdated".into(),
            ok(page),
        )]
    })
    .await;

    let found = client(&base)
        .finished_encounters_from(since().unwrap(), 50)
        .await
        .unwrap();

    let ids: Vec<_> = found.iter().filter_map(|e| e.id.as_deref()).collect();
    assert_eq!(ids, ["enc-3"]);
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn a_poller_reads_the_search_one_page_at_a_time_from_its_cursor() {
    let (base, fake) = serve(|base| {
        let next = format!("{base}?_getpages=beef&_getpagesoffset=1&_count=1");
        vec![
            (
                "/fhir/Encounter?status=finished&_lastUpdated=ge2025-03-01T00:00:00Z&_count=1&_sort=_lastUpdated".into(),
                ok(searchset(
                    base,
                    vec![encounter("enc-1", "2025-03-01T00:00:00Z")],
                    Some(next),
                )),
            ),
            (
                "/fhir?_getpages=beef&_getpagesoffset=1&_count=1".into(),
                ok(searchset(
                    base,
                    vec![encounter("enc-2", "2025-03-02T00:00:00Z")],
                    None,
                )),
            ),
        ]
    })
    .await;
    let client = client(&base);

    let first = client
        .finished_encounters_page(since(), 1, None)
        .await
        .unwrap();
    let next = first.next.clone().expect("a next page");
    let second = client
        .finished_encounters_page(since(), 1, Some(&next))
        .await
        .unwrap();

    assert_eq!(first.encounters[0].id.as_deref(), Some("enc-1"));
    assert_eq!(second.encounters[0].id.as_deref(), Some("enc-2"));
    assert_eq!(second.next, None);
    assert_eq!(fake.seen().len(), 2);
    let foreign = Url::parse("http://fhir.elsewhere.test/fhir/Encounter?page=2").unwrap();
    let err = client
        .finished_encounters_page(None, 1, Some(&foreign))
        .await
        .unwrap_err();
    assert!(matches!(err, FhirError::ForeignNextLink { .. }), "{err}");
    assert!(fake.seen().is_empty(), "the foreign page was requested");
}
