//! Choose the case library: the bundle's training cases, or a CSV the user picks. The file is
//! read with the File API and parsed by the core in this page; it is never uploaded.

use std::rc::Rc;

use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::state::{CustomLibrary, Loaded};
use crate::cases::CaseLibrary;
use crate::present::ui::Msg;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub custom: Option<CustomLibrary>,
    pub error: Option<String>,
    pub on_loaded: Callback<Result<CustomLibrary, String>>,
    pub on_reset: Callback<()>,
    pub lang: Lang,
}

/// Read a case-library CSV against the bundle, in this page; nothing leaves it.
fn parse(loaded: &Loaded, name: &str, text: &str, lang: Lang) -> Result<CustomLibrary, String> {
    let b = &loaded.bundle;
    let (library, skipped) =
        CaseLibrary::from_csv(&b.schema, &b.preprocessor, &b.metric.pca, name, text)
            .map_err(|e| crate::present::wording::error_text(&e, Some(&b.schema), lang))?;
    Ok(CustomLibrary {
        library: Rc::new(library),
        skipped: skipped.into_iter().map(|e| e.message).collect(),
    })
}

/// Rows listed by name before "and more".
const LISTED: usize = 10;

#[function_component]
pub fn LibraryLoader(props: &Props) -> Html {
    let lang = props.lang;
    let onchange = {
        let loaded = props.loaded.clone();
        let on_loaded = props.on_loaded.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let name = file.name();
            let loaded = loaded.clone();
            let on_loaded = on_loaded.clone();
            yew::platform::spawn_local(async move {
                let text = JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                    // `File.text()` decodes as UTF-8 and puts U+FFFD for every byte it cannot:
                    // a file in another encoding would lose characters silently.
                    .filter(|t| !t.as_bytes().windows(3).any(|w| w == [0xef, 0xbf, 0xbd]))
                    .ok_or(());
                let result = match text {
                    Err(()) => Err(format!("{name}: {}", Msg::Unreadable.text(lang))),
                    Ok(text) => parse(&loaded, &name, &text, lang),
                };
                on_loaded.emit(result);
            });
        })
    };
    let reset = {
        let on_reset = props.on_reset.clone();
        Callback::from(move |_: MouseEvent| on_reset.emit(()))
    };
    let source = props.custom.as_ref().map_or_else(
        || props.loaded.cases.source.clone(),
        |c| c.library.source.clone(),
    );
    html! {
        <section class="card library-loader" id="library" aria-labelledby="library-h">
            <h2 id="library-h">{ Msg::Library.text(lang) }</h2>
            <p id="library-source">{ source }</p>
            <label class="file">
                <span>{ Msg::LoadLibrary.text(lang) }</span>
                <input type="file" id="library-file" accept=".csv,text/csv" onchange={onchange} />
            </label>
            if props.custom.is_some() {
                <button type="button" id="library-reset" onclick={reset}>{ Msg::UseShipped.text(lang) }</button>
            }
            if let Some(e) = &props.error {
                <p class="error" role="alert" id="library-error">{ e.clone() }</p>
            }
            if let Some(c) = props.custom.as_ref().filter(|c| !c.skipped.is_empty()) {
                <div class="warning" id="library-skipped" role="note">
                    <p>{ format!("{} ", c.skipped.len()) }{ Msg::RowsSkipped.text(lang) }</p>
                    <ul>
                        { for c.skipped.iter().take(LISTED).map(|e| html! { <li>{ e.clone() }</li> }) }
                        if c.skipped.len() > LISTED {
                            <li>{ format!("… {} {}", c.skipped.len() - LISTED, Msg::AndMore.text(lang)) }</li>
                        }
                    </ul>
                </div>
            }
        </section>
    }
}
