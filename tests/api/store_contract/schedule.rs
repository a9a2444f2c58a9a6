//! Schedule versions: one per upload, their shifts, assignments and coverage replaced
//! per phase, and publication that supersedes the same period and refuses overlaps.

use careflow::store::{
    AssignmentBatch, AssignmentRow, CoverageWrite, CreatedVersion, HospitalRow, NewScheduleVersion,
    NewShiftInstance, NewUpload, Published, ShiftCoverageRow, Store, StoreError, TenantId,
};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;
use uuid::Uuid;

use super::{at, tenant};

contract!(
    a_version_is_created_once_per_upload_with_its_shifts,
    versions_are_listed_newest_first_a_page_at_a_time,
    assignments_and_coverage_replace_the_previous_ones,
    publishing_supersedes_the_same_period_and_refuses_an_overlap,
);

/// A hospital of `tenant`, with an upload for each of `uploads` versions.
async fn hospital_with_uploads(
    store: &dyn Store,
    tenant: &TenantId,
    uploads: usize,
) -> (Uuid, Vec<Uuid>) {
    let hospital = HospitalRow {
        hospital_id: Uuid::new_v4(),
        name: "General".into(),
        time_zone: "Europe/Paris".into(),
        created_by: "apikey:k1".into(),
        created_at: at(0),
    };
    store.create_hospital(tenant, &hospital).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..uploads {
        let upload = NewUpload {
            upload_id: Uuid::new_v4(),
            hospital_id: hospital.hospital_id,
            file_name: Some("march.ods".into()),
            content: vec![1, 2, 3],
            sha256: "abc".into(),
            amion_login: None,
            uploaded_by: "apikey:k1".into(),
            created_at: at(0),
        };
        store.insert_upload(tenant, &upload).await.unwrap();
        ids.push(upload.upload_id);
    }
    (hospital.hospital_id, ids)
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn time(d: u32, h: u32) -> NaiveDateTime {
    day(d).and_hms_opt(h, 0, 0).unwrap()
}

fn shift(position: i32, d: u32, name: &str) -> NewShiftInstance {
    NewShiftInstance {
        shift_id: Uuid::new_v4(),
        position,
        sheet: "March".into(),
        row_number: position + 2,
        shift_date: day(d),
        shift_name: name.into(),
        service: "Medicine".into(),
        starts_at: time(d, 7),
        ends_at: time(d, 19),
        required_staff: 2,
    }
}

/// A draft version `id` of `upload` covering days `from`..=`to`, with `shifts`.
fn version(
    id: u128,
    hospital: Uuid,
    upload: Uuid,
    (from, to): (u32, u32),
    shifts: Vec<NewShiftInstance>,
) -> NewScheduleVersion {
    NewScheduleVersion {
        // Ordered ids, so "newest first" is known.
        version_id: Uuid::from_u128(id),
        hospital_id: hospital,
        upload_id: upload,
        run_id: None,
        period_start: day(from),
        period_end: day(to),
        created_by: "apikey:k1".into(),
        created_at: at(id as i64),
        shifts,
    }
}

fn assignment(shift: &NewShiftInstance, position: i32, staff: &str) -> AssignmentRow {
    AssignmentRow {
        assignment_id: Uuid::new_v4(),
        shift_id: shift.shift_id,
        position,
        staff_name: staff.into(),
        staff_key: staff.to_lowercase(),
        staff_ref: None,
        assignment_name: "Day".into(),
        starts_at: shift.starts_at,
        ends_at: shift.ends_at,
    }
}

async fn a_version_is_created_once_per_upload_with_its_shifts(store: &dyn Store) {
    let north = tenant("north");
    let (h, uploads) = hospital_with_uploads(store, &north, 1).await;
    // Given out of order: read back by position.
    let shifts = vec![shift(1, 2, "Late"), shift(0, 1, "Early")];
    let v = version(1, h, uploads[0], (1, 2), shifts.clone());
    assert_eq!(
        store.create_version_with_shifts(&north, &v).await.unwrap(),
        CreatedVersion::Created
    );

    let row = store
        .get_version(&north, v.version_id)
        .await
        .unwrap()
        .expect("the version");
    assert_eq!(row.status, "draft");
    assert_eq!(row.shift_count, 2);
    assert_eq!((row.period_start, row.period_end), (day(1), day(2)));
    assert_eq!(row.created_at, at(1));
    assert_eq!(row.assignments_matched, None);
    assert_eq!(row.published_at, None);

    let again = version(2, h, uploads[0], (1, 2), vec![shift(0, 1, "Other")]);
    match store
        .create_version_with_shifts(&north, &again)
        .await
        .unwrap()
    {
        CreatedVersion::Existing(existing) => assert_eq!(*existing, row),
        other => panic!("a second version of one upload: {other:?}"),
    }
    assert_eq!(
        store.get_version(&north, again.version_id).await.unwrap(),
        None
    );

    let listed = store.list_shifts(&north, v.version_id).await.unwrap();
    let names: Vec<_> = listed.iter().map(|s| s.shift_name.as_str()).collect();
    assert_eq!(
        names,
        ["Early", "Late"],
        "by position, the first import's only"
    );
    assert_eq!(listed[0].shift_id, shifts[1].shift_id);
    assert_eq!(listed[0].starts_at, time(1, 7));
    assert_eq!(listed[0].row_number, 2);

    let south = tenant("south");
    assert_eq!(store.get_version(&south, v.version_id).await.unwrap(), None);
    assert!(
        store
            .list_shifts(&south, v.version_id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn versions_are_listed_newest_first_a_page_at_a_time(store: &dyn Store) {
    let north = tenant("north");
    let (h, uploads) = hospital_with_uploads(store, &north, 3).await;
    for (i, upload) in uploads.iter().enumerate() {
        let v = version(i as u128 + 1, h, *upload, (1, 1), vec![]);
        store.create_version_with_shifts(&north, &v).await.unwrap();
    }
    let ids = |rows: Vec<careflow::store::VersionRow>| -> Vec<u128> {
        rows.iter().map(|r| r.version_id.as_u128()).collect()
    };

    let first = store.list_versions(&north, h, None, 2).await.unwrap();
    assert_eq!(ids(first), [3, 2]);
    let rest = store
        .list_versions(&north, h, Some(Uuid::from_u128(2)), 2)
        .await
        .unwrap();
    assert_eq!(ids(rest), [1]);
    assert!(
        store
            .list_versions(&north, Uuid::new_v4(), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_versions(&tenant("south"), h, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn assignments_and_coverage_replace_the_previous_ones(store: &dyn Store) {
    let north = tenant("north");
    let (h, uploads) = hospital_with_uploads(store, &north, 1).await;
    let (early, late) = (shift(0, 1, "Early"), shift(1, 1, "Late"));
    let v = version(1, h, uploads[0], (1, 1), vec![early.clone(), late.clone()]);
    store.create_version_with_shifts(&north, &v).await.unwrap();

    let first = AssignmentBatch {
        version_id: v.version_id,
        fetched_at: at(10),
        assignments: vec![assignment(&early, 0, "Ann"), assignment(&late, 1, "Bob")],
        unmatched: 3,
    };
    store.store_assignments(&north, &first).await.unwrap();
    let second = AssignmentBatch {
        version_id: v.version_id,
        fetched_at: at(20),
        assignments: vec![assignment(&late, 1, "Cy")],
        unmatched: 1,
    };
    store.store_assignments(&north, &second).await.unwrap();
    assert_eq!(
        store.list_assignments(&north, v.version_id).await.unwrap(),
        second.assignments,
        "the latest fetch replaces the earlier one"
    );
    let row = store
        .get_version(&north, v.version_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.assignments_fetched_at, Some(at(20)));
    assert_eq!(row.assignments_matched, Some(1));
    assert_eq!(row.assignments_unmatched, Some(1));

    let missing = AssignmentBatch {
        version_id: Uuid::new_v4(),
        ..second.clone()
    };
    let refused = store.store_assignments(&north, &missing).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");

    assert_eq!(
        store.get_coverage(&north, v.version_id).await.unwrap(),
        None
    );
    let coverage = |computed: i64, assigned: i32| CoverageWrite {
        version_id: v.version_id,
        computed_at: at(computed),
        overall_percentage: 50.0,
        required_staff: 4,
        assigned_staff: assigned as i64,
        days: json!([{"date": "2026-03-01", "percentage": 50.0}]),
        // Given out of order: read back in shift order.
        shifts: vec![
            ShiftCoverageRow {
                shift_id: late.shift_id,
                required_staff: 2,
                assigned_staff: assigned,
                status: "under".into(),
            },
            ShiftCoverageRow {
                shift_id: early.shift_id,
                required_staff: 2,
                assigned_staff: 0,
                status: "uncovered".into(),
            },
        ],
    };
    store
        .store_coverage(&north, &coverage(30, 2))
        .await
        .unwrap();
    let latest = coverage(40, 1);
    store.store_coverage(&north, &latest).await.unwrap();
    let read = store
        .get_coverage(&north, v.version_id)
        .await
        .unwrap()
        .expect("the coverage");
    assert_eq!(read.computed_at, at(40));
    assert_eq!((read.required_staff, read.assigned_staff), (4, 1));
    assert_eq!(read.overall_percentage, 50.0);
    assert_eq!(read.days.0, latest.days);
    let per_shift = store
        .list_shift_coverage(&north, v.version_id)
        .await
        .unwrap();
    assert_eq!(
        per_shift,
        [latest.shifts[1].clone(), latest.shifts[0].clone()]
    );

    let elsewhere = CoverageWrite {
        version_id: Uuid::new_v4(),
        ..latest
    };
    let refused = store.store_coverage(&north, &elsewhere).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    assert!(
        store
            .list_shift_coverage(&tenant("south"), v.version_id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn publishing_supersedes_the_same_period_and_refuses_an_overlap(store: &dyn Store) {
    let north = tenant("north");
    let (h, uploads) = hospital_with_uploads(store, &north, 3).await;
    let march = version(1, h, uploads[0], (1, 10), vec![]);
    let redo = version(2, h, uploads[1], (1, 10), vec![]);
    let overlapping = version(3, h, uploads[2], (5, 15), vec![]);
    for v in [&march, &redo, &overlapping] {
        store.create_version_with_shifts(&north, v).await.unwrap();
    }

    let missing = store
        .publish_version(&north, Uuid::new_v4(), "apikey:k1", at(10))
        .await
        .unwrap();
    assert_eq!(missing, Published::NotFound);

    let first = store
        .publish_version(&north, march.version_id, "apikey:k1", at(10))
        .await
        .unwrap();
    assert_eq!(first, Published::Published { superseded: vec![] });
    let twice = store
        .publish_version(&north, march.version_id, "apikey:k1", at(11))
        .await
        .unwrap();
    assert_eq!(twice, Published::NotDraft("published".into()));

    let same_period = store
        .publish_version(&north, redo.version_id, "apikey:k2", at(12))
        .await
        .unwrap();
    assert_eq!(
        same_period,
        Published::Published {
            superseded: vec![march.version_id]
        }
    );
    let old = store
        .get_version(&north, march.version_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, "superseded");
    assert_eq!(old.superseded_at, Some(at(12)));
    assert_eq!(old.superseded_by, Some(redo.version_id));
    let new = store
        .get_version(&north, redo.version_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.status, "published");
    assert_eq!(new.published_at, Some(at(12)));
    assert_eq!(new.published_by.as_deref(), Some("apikey:k2"));

    let refused = store
        .publish_version(&north, overlapping.version_id, "apikey:k1", at(13))
        .await
        .unwrap();
    assert_eq!(refused, Published::Overlaps(redo.version_id));
    let still = store
        .get_version(&north, overlapping.version_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status, "draft");

    let elsewhere = store
        .publish_version(
            &tenant("south"),
            overlapping.version_id,
            "apikey:k1",
            at(14),
        )
        .await
        .unwrap();
    assert_eq!(elsewhere, Published::NotFound);
}
