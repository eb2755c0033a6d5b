//! `weft completions SHELL` and `weft man [COMMAND]`: shell completion scripts (clap_complete) and
//! roff man pages (clap_mangen), both generated from the clap definitions in `cli`, so they name
//! exactly the commands and flags the parser accepts.

use super::Cli;
use super::ids::UsageError;
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::{self, Write};

/// The completion script for `shell`.
pub fn write_completions(w: &mut impl Write, shell: Shell) -> io::Result<()> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_owned();
    clap_complete::generate(shell, &mut cmd, name, w);
    Ok(())
}

/// The man page: weft(1), or with `command` that command's page, weft-COMMAND(1), which weft(1)
/// refers to. An unknown command is a usage error naming the ones there are.
pub fn man_page(command: Option<&str>) -> Result<clap_mangen::Man, UsageError> {
    let mut cmd = Cli::command();
    let source = format!("weft {}", cmd.get_version().unwrap_or_default());
    // Building fills in the subcommands' display names (`weft-info`) that the pages use.
    cmd.build();
    let page = match command {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let known: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
                return Err(UsageError(format!(
                    "no man page for '{}'; commands: {}",
                    crate::text::escape_control(name),
                    known.join(", ")
                )));
            }
        },
    };
    let title = page.get_display_name().unwrap_or_else(|| page.get_name()).to_uppercase();
    Ok(clap_mangen::Man::new(page).title(title).source(source))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn man(command: Option<&str>) -> String {
        let mut out = Vec::new();
        man_page(command).expect("a page").render(&mut out).expect("render");
        String::from_utf8(out).expect("roff is text")
    }

    #[test]
    fn every_subcommand_has_a_page_titled_after_it() {
        let top = man(None);
        assert!(top.contains("\n.TH WEFT 1 "), "{top}");
        for sub in Cli::command().get_subcommands() {
            let name = sub.get_name();
            assert!(top.contains(&format!("weft\\-{name}(1)")), "weft(1) names weft-{name}(1)");
            let page = man(Some(name));
            let title = format!("\n.TH WEFT-{} 1 ", name.to_uppercase());
            assert!(page.contains(&title) && page.contains("\"weft 0."), "{name}: {page}");
        }
        assert!(man(Some("links")).contains("\\-\\-graph"), "a subcommand page lists its flags");
    }

    #[test]
    fn an_unknown_page_is_a_usage_error_listing_the_commands() {
        let err = man_page(Some("nope\x1b")).err().expect("no such page");
        assert!(err.0.contains("'nope\\x1b'") && err.0.contains("info, links"), "{}", err.0);
    }
}
