//! `GET /api/v1/links/{code}/qr`: the images are read back with a QR decoder.

use reqwest::Method;
use serde_json::json;

use crate::developer_support::{code, create_link, field};
use crate::helpers::{HOST, TestApp};

/// Status, content type and body of a QR request.
async fn qr(t: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let response = t
        .client
        .get(format!("{}{path}", t.api))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// The PNG's side in pixels and the text of the one QR code in it.
fn read_png(bytes: &[u8]) -> (u32, String) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(frame.width, frame.height, "square");
    let (width, stride) = (frame.width as usize, frame.line_size);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, width, |x, y| pixels[y * stride + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one code in the image");
    let (_, text) = grids[0].decode().unwrap();
    (frame.width, text)
}

#[tokio::test]
async fn a_links_qr_code_reads_back_as_its_short_url() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    create_link(&t, key, json!({"alias": "summer"})).await;
    create_link(&t, key, json!({"alias": "product/id1234"})).await;

    let (status, content_type, png) = qr(&t, "/api/v1/links/summer/qr?format=png", key).await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert_eq!(read_png(&png), (512, format!("https://{HOST}/summer")));

    let path = "/api/v1/links/product%2Fid1234/qr?format=png&size=300&margin=2&level=H";
    let (status, _, png) = qr(&t, path, key).await;
    assert_eq!(status, 200);
    assert_eq!(
        read_png(&png),
        (300, format!("https://{HOST}/product/id1234"))
    );

    let (status, content_type, svg) = qr(&t, "/api/v1/links/summer/qr", key).await;
    assert_eq!((status, content_type.as_str()), (200, "image/svg+xml"));
    let svg = String::from_utf8(svg).unwrap();
    assert!(
        svg.starts_with("<svg ") && svg.contains("width=\"512\""),
        "{svg}"
    );

    // The reference names both image types.
    let doc: serde_json::Value = t
        .client
        .get(format!("{}/api/v1/openapi.json", t.api))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ok = &doc["paths"]["/api/v1/links/{code}/qr"]["get"]["responses"]["200"]["content"];
    assert!(
        ok.get("image/svg+xml").is_some() && ok.get("image/png").is_some(),
        "{ok}"
    );
}

#[tokio::test]
async fn bad_parameters_missing_links_and_sdk_keys_get_problems() {
    let t = TestApp::spawn().await;
    let key = t.acme.secret_key.as_str();
    create_link(&t, key, json!({"alias": "gone"})).await;
    let problem = |body: &[u8]| serde_json::from_slice::<serde_json::Value>(body).unwrap();
    for (query, name) in [
        ("format=gif", "format"),
        ("size=20", "size"),
        ("size=big", "size"),
        ("margin=40", "margin"),
        ("level=Z", "level"),
    ] {
        let (status, content_type, body) =
            qr(&t, &format!("/api/v1/links/gone/qr?{query}"), key).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(field(&problem(&body)), name, "{query}");
    }
    let (status, _, body) = qr(&t, "/api/v1/links/nope/qr", key).await;
    assert_eq!((status, code(&problem(&body))), (404, "not_found"));
    let (status, _, _) = qr(&t, "/api/v1/links/gone/qr", &t.acme.sdk_key).await;
    assert_eq!(status, 403);
    let (status, _, _) = qr(&t, "/api/v1/links/gone/qr", &t.other.secret_key).await;
    assert_eq!(status, 404, "another app's link");

    let (status, _) = t.dev(Method::DELETE, "/api/v1/links/gone", key, None).await;
    assert_eq!(status, 200);
    let (status, _, _) = qr(&t, "/api/v1/links/gone/qr", key).await;
    assert_eq!(status, 404, "a deleted link has no code");
}
