//! The value model: default first version, validated new versions, stale updates.

use crm_kit::auth::Role;
use crm_proto::crm::scoring::v1::{GetValueModelRequest, UpdateValueModelRequest, ValueModel};
use prost_types::FieldMask;
use tonic::Code;

use super::support::{TestApp, conformance, reason, violations};

fn get(name: &str) -> GetValueModelRequest {
    GetValueModelRequest { name: name.into() }
}

fn update(model: ValueModel, paths: &[&str]) -> UpdateValueModelRequest {
    UpdateValueModelRequest {
        value_model: Some(model),
        update_mask: Some(FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() }),
    }
}

conformance!(value_model_updates_create_validated_versions, async |app: &TestApp| {
    let mut reader = app.scoring_as(Role::ContactCentreAgent, "cc-1", None);
    let v1 = reader.get_value_model(get("valueModels/current")).await.expect("current").into_inner();
    assert_eq!(
        (v1.name.as_str(), v1.version, v1.grades.len(), v1.creator.as_str()),
        ("valueModels/1", 1, 10, "system:scoring")
    );
    let grades: Vec<_> = v1.grades.iter().map(|g| g.grade.as_str()).collect();
    assert_eq!(grades, ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]);

    let mut non_monotone = v1.clone();
    non_monotone.name = "valueModels/current".into();
    non_monotone.grades[4].pd = 0.001;
    let err = app.analyst().update_value_model(update(non_monotone, &["grades"])).await.expect_err("non-monotone");
    assert_eq!((err.code(), violations(&err)), (Code::InvalidArgument, vec!["value_model.grades[4].pd".to_owned()]));
    let mut bad_lgd = v1.clone();
    bad_lgd.default_lgd = 1.5;
    let err = app.admin().update_value_model(update(bad_lgd, &["default_lgd"])).await.expect_err("lgd");
    assert_eq!(violations(&err), ["value_model.default_lgd"]);

    let change = ValueModel { name: "valueModels/1".into(), hurdle_rate: 0.15, default_lgd: 0.9, ..Default::default() };
    let err = app.rm("rm-1").update_value_model(update(change.clone(), &["hurdle_rate"])).await.expect_err("role");
    assert_eq!((err.code(), reason(&err).as_str()), (Code::PermissionDenied, "ROLE_NOT_PERMITTED"));
    let v2 = app.analyst().update_value_model(update(change.clone(), &["hurdle_rate"])).await.expect("v2").into_inner();
    assert_eq!((v2.version, v2.hurdle_rate, v2.default_lgd, v2.creator.as_str()), (2, 0.15, 0.45, "ra-1"));
    let stale = app.admin().update_value_model(update(change, &["hurdle_rate"])).await.expect_err("based on v1");
    assert_eq!(stale.code(), Code::Aborted);

    assert_eq!(reader.get_value_model(get("valueModels/current")).await.expect("current").into_inner(), v2);
    assert_eq!(reader.get_value_model(get("valueModels/1")).await.expect("v1").into_inner(), v1);
    let err = reader.get_value_model(get("valueModels/9")).await.expect_err("no v9");
    assert_eq!(err.code(), Code::NotFound);

    // Scores name the version they used.
    let client = app.client("Sino Cables", "rm-1", "AA", "2732", "East China", "").await;
    app.record(&client, "2026-Q3", 100_000, 0, 10_000, 1_000_000).await;
    assert_eq!(app.score(&client).await.model_version, 2);
});
