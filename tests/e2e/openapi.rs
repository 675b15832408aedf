//! The caseworker API's OpenAPI file against the running server: every documented
//! operation is there and refuses a caller without a token with a problem+json 401, and
//! what `me` and a listing return has every property the file marks as required.

use serde_json::{Value, json};

use crate::support::{Backend, Server};

pub(crate) const SPEC: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/caseworker-api.yaml"));

pub(crate) fn required(spec: &Value, schema: &str) -> Vec<String> {
    spec["components"]["schemas"][schema]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_answers_as_its_openapi_file_says() {
    let spec: Value = serde_saphyr::from_str(SPEC).unwrap();
    let server = Server::start(Backend::Sqlite);
    let client = server.client();

    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let url = format!(
            "{}{}",
            server.url,
            path.replace("{queue}", "servicetorget")
                .replace("{form}", "nyhetsbrev")
                .replace("{id}", "0123")
        );
        for method in item.as_object().unwrap().keys() {
            let request = match method.as_str() {
                "get" => client.get(&url),
                "post" => client.post(&url),
                "put" => client.put(&url),
                "delete" => client.delete(&url),
                other => panic!("{other} {path}: a method the test does not know"),
            };
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} without a token");
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json",
                "{method} {path}"
            );
            operations += 1;
        }
    }
    assert!(operations >= 14);

    let (status, _) = server
        .submit_json(&client, "kontakt", json!({"answers": {"message": "Hei"}}))
        .await;
    assert_eq!(status, 201);
    let (_, token) = server.add_caseworker("servicetorget");
    let get = |path: String| {
        let client = client.clone();
        let token = token.clone();
        async move {
            let response = client.get(path).bearer_auth(token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let me = get(format!("{}/api/v1/caseworker/me", server.url)).await;
    for property in required(&spec, "Me") {
        assert!(me.get(&property).is_some(), "me lacks {property}: {me}");
    }
    let list = get(format!(
        "{}/api/v1/queues/servicetorget/submissions",
        server.url
    ))
    .await;
    let item = &list[0];
    for property in required(&spec, "ListItem") {
        assert!(
            item.get(&property).is_some(),
            "a listing lacks {property}: {item}"
        );
    }
    let recipients = get(format!(
        "{}/api/v1/queues/servicetorget/recipients",
        server.url
    ))
    .await;
    for property in required(&spec, "Recipients") {
        assert!(recipients.get(&property).is_some(), "{recipients}");
    }
    let erased = client
        .delete(format!(
            "{}/api/v1/submissions/{}",
            server.url,
            item["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 204);
    let deleted = get(format!(
        "{}/api/v1/queues/servicetorget/deleted",
        server.url
    ))
    .await;
    assert_eq!(deleted[0]["reference"], item["reference"], "{deleted}");
    for property in required(&spec, "DeletedItem") {
        assert!(deleted[0].get(&property).is_some(), "{deleted}");
    }
}
