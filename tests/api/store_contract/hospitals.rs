//! Hospitals, their uploads, and the one-import-at-a-time slot.

use careflow::store::{HospitalRow, ImportClaim, ImportState, NewUpload, RunId, Store, StoreError};
use uuid::Uuid;

use super::{at, tenant};

contract!(
    hospitals_are_kept_per_tenant_with_unique_names,
    uploads_keep_their_bytes_and_forget_the_access_code_on_request,
    one_import_holds_a_hospital_at_a_time,
);

fn hospital(name: &str) -> HospitalRow {
    HospitalRow {
        hospital_id: Uuid::new_v4(),
        name: name.into(),
        time_zone: "Europe/Paris".into(),
        created_by: "apikey:k1".into(),
        created_at: at(1),
    }
}

async fn hospitals_are_kept_per_tenant_with_unique_names(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    let (general, mercy) = (hospital("General"), hospital("Mercy"));
    store.create_hospital(&north, &general).await.unwrap();
    store.create_hospital(&south, &mercy).await.unwrap();

    assert_eq!(
        store.list_hospitals(&north).await.unwrap(),
        std::slice::from_ref(&general)
    );
    let found = store
        .get_hospital(&north, general.hospital_id)
        .await
        .unwrap();
    assert_eq!(found, Some(general.clone()));
    let elsewhere = store.get_hospital(&north, mercy.hospital_id).await.unwrap();
    assert_eq!(elsewhere, None, "another tenant's hospital");

    let same_name = store.create_hospital(&north, &hospital("General")).await;
    assert!(
        matches!(same_name, Err(StoreError::Conflict(_))),
        "{same_name:?}"
    );
    // A name is unique within its tenant only.
    store
        .create_hospital(&south, &hospital("General"))
        .await
        .unwrap();
    assert_eq!(store.list_hospitals(&north).await.unwrap().len(), 1);
}

async fn uploads_keep_their_bytes_and_forget_the_access_code_on_request(store: &dyn Store) {
    let north = tenant("north");
    let general = hospital("General");
    store.create_hospital(&north, &general).await.unwrap();
    let upload = NewUpload {
        upload_id: Uuid::new_v4(),
        hospital_id: general.hospital_id,
        file_name: Some("march.ods".into()),
        content: vec![0, 1, 2, 250, 255],
        sha256: "abc123".into(),
        amion_login: Some("access-code".into()),
        uploaded_by: "apikey:k1".into(),
        created_at: at(2),
    };
    store.insert_upload(&north, &upload).await.unwrap();
    let id = upload.upload_id;

    let row = store
        .get_upload(&north, id)
        .await
        .unwrap()
        .expect("the upload");
    assert_eq!(row.hospital_id, general.hospital_id);
    assert_eq!(row.file_name.as_deref(), Some("march.ods"));
    assert_eq!(row.size_bytes, 5);
    assert_eq!(row.sha256, "abc123");
    assert_eq!(row.uploaded_by, "apikey:k1");
    assert_eq!(row.created_at, at(2));
    let content = store.get_upload_content(&north, id).await.unwrap();
    assert_eq!(content, Some(upload.content.clone()));
    assert_eq!(store.get_upload(&tenant("south"), id).await.unwrap(), None);
    assert_eq!(
        store
            .get_upload_content(&tenant("south"), id)
            .await
            .unwrap(),
        None
    );

    let login = store.get_upload_login(&north, id).await.unwrap();
    assert_eq!(login.as_deref(), Some("access-code"));
    store.clear_upload_login(&north, id).await.unwrap();
    assert_eq!(store.get_upload_login(&north, id).await.unwrap(), None);
    assert!(
        store
            .get_upload_content(&north, id)
            .await
            .unwrap()
            .is_some(),
        "bytes stay"
    );
}

async fn one_import_holds_a_hospital_at_a_time(store: &dyn Store) {
    let north = tenant("north");
    let general = hospital("General");
    store.create_hospital(&north, &general).await.unwrap();
    let h = general.hospital_id;
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(store.get_import_status(&north, h).await.unwrap(), None);

    let claim = store
        .claim_import(&north, h, first, None, at(1))
        .await
        .unwrap();
    assert_eq!(claim, ImportClaim::Claimed);
    let status = store.get_import_status(&north, h).await.unwrap().unwrap();
    assert_eq!(status.status, ImportState::InProgress);
    assert_eq!((status.import_id, status.run_id), (first, None));
    assert_eq!(status.started_at, at(1));

    let busy = store
        .claim_import(&north, h, second, None, at(2))
        .await
        .unwrap();
    assert_eq!(busy, ImportClaim::Busy(status.clone()));
    let reclaimed = store
        .claim_import(&north, h, first, None, at(3))
        .await
        .unwrap();
    assert_eq!(
        reclaimed,
        ImportClaim::Claimed,
        "the import in progress takes its slot back"
    );
    let kept = store.get_import_status(&north, h).await.unwrap().unwrap();
    assert_eq!(kept.started_at, at(1), "and keeps its start");

    let run = RunId::new();
    assert!(
        !store
            .attach_import_run(&north, h, second, run, at(4))
            .await
            .unwrap()
    );
    assert!(
        store
            .attach_import_run(&north, h, first, run, at(4))
            .await
            .unwrap()
    );
    let attached = store.get_import_status(&north, h).await.unwrap().unwrap();
    assert_eq!(attached.run_id, Some(run));

    let done = |import, state, s| store.finish_import(&north, h, import, state, at(s));
    assert!(
        !done(second, ImportState::Completed, 5).await.unwrap(),
        "not the current import"
    );
    assert!(done(first, ImportState::Failed, 5).await.unwrap());
    let failed = store.get_import_status(&north, h).await.unwrap().unwrap();
    assert_eq!(failed.status, ImportState::Failed);
    assert_eq!(failed.completed_at, Some(at(5)));
    assert!(
        !done(first, ImportState::Cancelled, 6).await.unwrap(),
        "already ended"
    );
    assert!(
        done(first, ImportState::Completed, 6).await.unwrap(),
        "a failed import retried to completion completes"
    );

    let next = store
        .claim_import(&north, h, second, Some(run), at(7))
        .await
        .unwrap();
    assert_eq!(
        next,
        ImportClaim::Claimed,
        "the slot is free once the import ended"
    );
}
