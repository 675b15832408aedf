//! `forms check` over 1,000 generated schema files. Target: under one second.
//!
//! Run: `cargo bench -p forms-server --bench check`
//!
//! The files are the shipped forms, each copied under new ids, so the mix of field
//! types, pages, conditions and routing rules is the municipality's own.

use std::path::Path;
use std::time::Instant;

use forms_server::schema::Catalog;

const FILES: usize = 1000;

fn main() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../form-schemas");
    let dir = std::env::temp_dir().join(format!("forms-check-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(shipped.join("queues.yaml"), dir.join("queues.yaml")).unwrap();
    std::fs::create_dir_all(dir.join("guard")).unwrap();
    for entry in std::fs::read_dir(shipped.join("guard")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("guard").join(path.file_name().unwrap())).unwrap();
    }
    let mut seeds = Vec::new();
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".yaml") && name != "queues.yaml" {
            let text = std::fs::read_to_string(&path).unwrap();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .unwrap()
                .to_string();
            seeds.push((id, text));
        }
    }
    let mut bytes = 0;
    for n in 0..FILES {
        let (id, text) = &seeds[n % seeds.len()];
        let copy = text.replacen(&format!("id: {id}\n"), &format!("id: {id}-{n}\n"), 1);
        bytes += copy.len();
        std::fs::write(dir.join(format!("{id}-{n}.yaml")), copy).unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let catalog = Catalog::load_dir(&dir).unwrap_or_else(|e| panic!("{:?}", &e[..1]));
        times.push(started.elapsed());
        assert_eq!(catalog.forms().count(), FILES);
    }
    times.sort();
    println!(
        "forms check over {FILES} files ({} KiB): best {:.0} ms, median {:.0} ms, worst {:.0} ms (target: under 1000 ms)",
        bytes / 1024,
        times[0].as_secs_f64() * 1000.0,
        times[2].as_secs_f64() * 1000.0,
        times[4].as_secs_f64() * 1000.0
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
