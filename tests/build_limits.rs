//! `hotplate build` holds a bounded amount of memory, however big the site's files: a file in
//! `public/` is copied by the kernel, and an asset gets its fingerprint from a hash read in
//! pieces, so neither passes through memory whole. (Its own process: the peak it measures is
//! that of this test's children alone.)

use std::process::Command;

#[test]
fn big_files_are_copied_and_fingerprinted_without_being_held_in_memory() {
    const BIG: u64 = 150 << 20;
    let dir = testkit::site(&[(
        "pages/index.html",
        "<video src=\"/media/film.mp4\"></video><a href=\"/download.bin\">get it</a>",
    )]);
    for name in ["media/film.mp4", "public/download.bin"] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::File::create(&path).unwrap().set_len(BIG).unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .arg("build")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak_kb = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .unwrap()
        .max_rss();
    let out = dir.path().join("dist");
    assert_eq!(
        std::fs::metadata(out.join("download.bin")).unwrap().len(),
        BIG
    );
    let film = std::fs::read_dir(out.join("media"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("film.") && n.ends_with(".mp4"))
        .expect("the film, fingerprinted");
    assert_eq!(
        std::fs::metadata(out.join("media").join(&film))
            .unwrap()
            .len(),
        BIG
    );
    eprintln!(
        "two files of {} MB built with a peak RSS of {} MB",
        BIG >> 20,
        peak_kb / 1024
    );
    assert!(
        peak_kb < 100 * 1024,
        "hotplate build peaked at {} MB for two {} MB files",
        peak_kb / 1024,
        BIG >> 20
    );
}
