//! Response extensions: what a service inside the layers tells them about a response it made.
//! The site service (and the axum layer's `Templates`) set them; the inject and module layers
//! read them. An app's own responses carry none, and the layers find out what they can.

use crate::base::{ErrorReport, SitePath};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// A response extension: the file behind a document of the site (`None`: an error page,
/// recorded by whoever made it, if at all).
#[derive(Clone, Debug)]
pub struct Entry(pub Option<SitePath>);

/// A response extension: the stamp of the page's render ([`crate::site::render::RenderCache`]),
/// which the page carries so that it can tell whether a pushed patch starts from what it shows.
#[derive(Clone, Debug)]
pub struct RenderStamp(pub String);

/// A response extension: the template files (paths on disk) the document's render read.
#[derive(Clone, Debug, Default)]
pub struct TemplateReads(pub BTreeSet<PathBuf>);

/// A response extension: the document is the error page of a render that failed. The overlay
/// shows the error on the pages open at that URL until a render there succeeds.
#[derive(Clone, Debug)]
pub struct RenderFailed(pub ErrorReport);

/// A response extension: the site's file behind a script or stylesheet, and its URL.
#[derive(Clone, Debug)]
pub struct Module {
    pub site: SitePath,
    pub url: String,
}
