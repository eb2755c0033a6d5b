//! The README's key table is generated from the keymap; this fails when they drift apart.
//! To refresh it: `WEFT_UPDATE_README=1 cargo test --test readme`.

const START: &str = "<!-- keys:start -->\n";
const END: &str = "\n<!-- keys:end -->";

#[test]
fn readme_key_table_is_the_keymap_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find(START).expect("README has the keys:start marker") + START.len();
    let end = readme.find(END).expect("README has the keys:end marker");
    let table = weft::app::keymap::markdown_table();
    if std::env::var_os("WEFT_UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..start], table.trim_end(), &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert_eq!(
        readme[start..end].trim_end(),
        table.trim_end(),
        "README key table differs from app::keymap; run WEFT_UPDATE_README=1 cargo test --test readme"
    );
}
