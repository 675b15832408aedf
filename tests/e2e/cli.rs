//! The command line as an operator and a caseworker use it.

use std::process::Command;

use crate::support::{FORMS, TempDir};

fn forms(args: &[&str]) -> std::process::Output {
    Command::new(FORMS).args(args).output().unwrap()
}

#[test]
fn keygen_writes_a_private_identity_and_never_overwrites() {
    let dir = TempDir::new("keygen");
    let path = dir.path().join("me.identity");
    let path_str = path.to_str().unwrap();
    let out = forms(&["keygen", "--out", path_str]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(public.starts_with("age1"), "{public}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The printed key is the identity's: what is sealed to it opens with the file.
    let text = std::fs::read_to_string(&path).unwrap();
    let identities = forms_crypto::seal::Identity::parse_file(&text).unwrap();
    let sealed = forms_crypto::seal::seal(b"hei", &[public.parse().unwrap()]).unwrap();
    assert_eq!(
        &forms_crypto::seal::open(&sealed, &identities).unwrap()[..],
        b"hei"
    );

    let again = forms(&["keygen", "--out", path_str]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not overwriting"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn check_passes_the_shipped_schemas_and_fails_a_broken_one() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../form-schemas");
    let out = forms(&["check", shipped]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no errors"));

    let dir = TempDir::new("check");
    std::fs::copy(
        format!("{shipped}/queues.yaml"),
        dir.path().join("queues.yaml"),
    )
    .unwrap();
    let form = std::fs::read_to_string(format!("{shipped}/kontakt.yaml"))
        .unwrap()
        .replace("type: email", "type: emial");
    std::fs::write(dir.path().join("kontakt.yaml"), form).unwrap();
    let out = forms(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("kontakt.yaml:") && report.contains("emial"),
        "{report}"
    );
    assert!(report.contains("1 error(s)"), "{report}");
}

#[test]
fn dev_refuses_to_listen_beyond_loopback() {
    let dir = TempDir::new("dev");
    let out = forms(&[
        "dev",
        "--listen",
        "0.0.0.0:0",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback only"));
}

#[test]
fn admin_without_a_store_says_what_to_do() {
    let dir = TempDir::new("admin");
    let out = Command::new(FORMS)
        .args([
            "admin",
            "caseworker",
            "add",
            "--queue",
            "servicetorget",
            "--name",
            "Kari",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("run `forms dev` first"));
}
