//! The top-level component: header, disclaimer, model picker, and the form/results/basis
//! panels. It owns the state and the two fetches (the bundle index and the chosen bundle).

use std::rc::Rc;

use gloo::net::http::Request;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use super::assess_view::AssessView;
use super::header::Header;
use super::library_loader::LibraryLoader;
use super::picker::Picker;
use super::state::{
    load_error_text, Action, IndexEntry, Load, LoadError, Loaded, Search, State, View,
};
use super::tabs::Tabs;
use super::teach::Teach;
use crate::bundle::format::payload_sha256;
use crate::bundle::signature::Trust;
use crate::present::ui::Msg;
use crate::util::lang::Lang;

pub const BUNDLE_DIR: &str = "../static/bundles/";

/// How the app runs inside a host page (`mount`, `<bedside-widget>`): the host chooses the
/// bundle (a URL), the language and the view.
#[derive(Debug, Clone, PartialEq)]
pub struct Embed {
    /// Which widget on the page (for its handle).
    pub id: u32,
    /// The bundle's URL.
    pub bundle: String,
    pub lang: Lang,
    /// Open on the teaching view.
    pub teach: bool,
    /// The built-in keys plus the host's, and the host's policy.
    pub trust: Trust,
}

use super::bridge::use_bridge;

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// `None` for the standalone page.
    #[prop_or_default]
    pub embed: Option<Embed>,
    /// Opened from an EHR (SMART launch): the patient's record fills the form.
    #[prop_or_default]
    pub launch: Option<Rc<super::launch::Launch>>,
}

/// Query parameters the app understands: `bundle=<file>.bdsx`, `example=<n>`, `lang=zh`,
/// `units=si`.
struct Query {
    bundle: Option<String>,
    example: Option<usize>,
    lang: Lang,
    si: bool,
}

fn query() -> Query {
    let params = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok());
    let get = |k: &str| params.as_ref().and_then(|p| p.get(k));
    Query {
        bundle: get("bundle"),
        example: get("example").and_then(|v| v.parse().ok()),
        lang: Lang::from_tag(&get("lang").unwrap_or_default()),
        si: get("units").is_some_and(|u| u == "si"),
    }
}

/// A bundle file name as it may appear in the query: a plain `name.bdsx`, nothing that could
/// point elsewhere.
fn safe_file(name: &str) -> bool {
    name.ends_with(".bdsx")
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, LoadError> {
    let resp = Request::get(url)
        .send()
        .await
        .map_err(|e| LoadError::Network(e.to_string()))?;
    if !resp.ok() {
        return Err(LoadError::Http(resp.status()));
    }
    resp.binary()
        .await
        .map_err(|e| LoadError::Network(e.to_string()))
}

async fn fetch_index() -> Result<Vec<IndexEntry>, LoadError> {
    let bytes = fetch_bytes(&format!("{BUNDLE_DIR}index.json")).await?;
    parse_index(&bytes)
}

/// Read `index.json` with the browser's own JSON parser: serde_json's parser would be the only
/// JSON parsing in the app and costs ~11 KB of gzipped WASM (measured).
fn parse_index(bytes: &[u8]) -> Result<Vec<IndexEntry>, LoadError> {
    let bad = |what: &str| LoadError::Index(what.to_string());
    let text = std::str::from_utf8(bytes).map_err(|_| bad("index.json is not UTF-8 text"))?;
    let value = js_sys::JSON::parse(text).map_err(|_| bad("index.json is not valid JSON"))?;
    let list: js_sys::Array = value
        .dyn_into()
        .map_err(|_| bad("index.json is not a list of bundles"))?;
    let get = |v: &JsValue, k: &str| -> Result<String, LoadError> {
        js_sys::Reflect::get(v, &JsValue::from_str(k))
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| bad(&format!("an entry of index.json has no text field `{k}`")))
    };
    list.iter()
        .map(|e| {
            let title = js_sys::Reflect::get(&e, &JsValue::from_str("title"))
                .map_err(|_| bad("an entry of index.json has no `title`"))?;
            Ok(IndexEntry {
                file: get(&e, "file")?,
                id: get(&e, "id")?,
                title: crate::contract::schema::Text {
                    en: get(&title, "en")?,
                    zh: get(&title, "zh")?,
                },
            })
        })
        .collect()
}

/// Where a bundle is fetched from: a plain file name from the page's query is looked up in
/// the bundle directory; a URL (an embedding host's choice) is used as it is.
pub fn bundle_url(file: &str) -> String {
    if file.contains('/') {
        file.to_string()
    } else {
        format!("{BUNDLE_DIR}{file}")
    }
}

/// `url_ok`: an embedding host may name a bundle by URL; the page's own query names only a file
/// in the bundle directory (so a link cannot make the app fetch anything else of the site).
async fn fetch_bundle(file: &str, trust: &Trust, url_ok: bool) -> Result<Rc<Loaded>, LoadError> {
    if !(safe_file(file) || url_ok && file.contains('/')) {
        return Err(LoadError::Http(404));
    }
    mark("bedside:bundle-fetch-start");
    let bytes = fetch_bytes(&bundle_url(file)).await?;
    mark("bedside:bundle-fetched");
    let (bundle, provenance) = crate::web::trust::open(&bytes, trust)
        .await
        .map_err(LoadError::Bundle)?;
    let sha256 = payload_sha256(&bytes).map_err(LoadError::Bundle)?;
    Ok(Rc::new(Loaded {
        file: file.to_string(),
        cases: Rc::new(bundle.cases.clone()),
        bundle,
        sha256,
        provenance,
    }))
}

fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}

#[function_component]
pub fn App(props: &AppProps) -> Html {
    mark("bedside:app-render");
    let embed = props.embed.clone();
    // A bundle named in the URL is fetched at once, in parallel with the index. Embedded, the
    // host names the bundle, the language and the view instead.
    let state = use_reducer(|| match &embed {
        Some(e) => {
            let mut s = State::new(e.lang, None, Some(e.bundle.clone()));
            if e.teach {
                s.view = View::Teach;
            }
            s
        }
        None => {
            let q = query();
            let mut s = State::new(q.lang, q.example, q.bundle);
            s.si = q.si;
            s
        }
    });
    let lang = state.lang;
    let embedded = props.embed.is_some();
    use_bridge(props.embed.as_ref().map(|e| e.id), &state);
    super::launch::use_record(props.launch.clone(), &state);

    // Load the list of bundles once; without a bundle in the URL, pick the first. (An
    // embedded app shows the one bundle its host chose.)
    {
        let state = state.clone();
        use_effect_with(embedded, move |embedded| {
            if *embedded {
                return;
            }
            yew::platform::spawn_local(async move {
                let result = fetch_index().await;
                let first = result
                    .as_ref()
                    .ok()
                    .and_then(|e| e.first())
                    .map(|e| e.file.clone());
                state.dispatch(Action::IndexLoaded(result));
                if let Some(file) = first {
                    state.dispatch(Action::SelectIfNone(file));
                }
            });
        });
    }
    // Fetch the selected bundle whenever the selection changes.
    {
        let state = state.clone();
        let trust = embed.as_ref().map(|e| e.trust.clone());
        let url_ok = trust.is_some();
        use_effect_with(state.selected.clone(), move |selected| {
            if let Some(file) = selected.clone() {
                yew::platform::spawn_local(async move {
                    let trust = trust.unwrap_or_else(crate::web::trust::built_in);
                    let result = fetch_bundle(&file, &trust, url_ok).await;
                    state.dispatch(Action::BundleLoaded(file, result));
                });
            }
        });
    }
    // Keep <html lang> in step with the UI language (screen readers, fonts); embedded, the
    // host's document is not ours to change (the widget's root carries `lang`).
    use_effect_with(lang, move |lang| {
        if embedded {
            return;
        }
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = el.set_attribute("lang", if *lang == Lang::Zh { "zh-CN" } else { "en" });
        }
    });
    // Mark the first result for the navigation-to-first-result benchmark.
    {
        let marked = use_mut_ref(|| false);
        let has_result = state
            .patient
            .outcome
            .as_ref()
            .is_some_and(|o| o.assessment.is_some());
        use_effect_with(has_result, move |has| {
            if *has && !*marked.borrow() {
                *marked.borrow_mut() = true;
                if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
                    let _ = perf.mark("bedside:first-result");
                }
            }
        });
    }

    // Callbacks made once (they depend only on the dispatcher, which never changes), so the
    // components they go to re-render only when their data change.
    let dispatch = state.dispatcher();
    let on_input = use_callback(dispatch.clone(), |(i, text): (usize, String), d| {
        d.dispatch(Action::Input(i, text))
    });
    let on_example = use_callback(dispatch.clone(), |k: usize, d| {
        d.dispatch(Action::Example(k))
    });
    let on_clear = use_callback(dispatch.clone(), |_: (), d| d.dispatch(Action::Clear));
    let on_search = use_callback(dispatch.clone(), |s: Search, d| {
        d.dispatch(Action::SetSearch(s))
    });
    let on_assess = use_callback(dispatch.clone(), |i: usize, d| {
        d.dispatch(Action::AssessCase(i))
    });
    let on_reset = use_callback(dispatch.clone(), |_: (), d| {
        d.dispatch(Action::UseShippedLibrary)
    });
    let on_loaded = use_callback(
        (dispatch.clone(), state.loaded().map(|l| l.sha256.clone())),
        |r, (d, sha)| {
            if let Some(sha) = sha {
                d.dispatch(Action::LibraryLoaded(sha.clone(), r))
            }
        },
    );
    // The units switch appears only where the schema declares a second unit (worked out once
    // per bundle).
    let second_units = {
        let loaded = state.loaded().cloned();
        use_memo(state.loaded().map(|l| l.sha256.clone()), move |_| {
            loaded.map(|l| {
                AttrValue::from(
                    l.bundle
                        .schema
                        .features
                        .iter()
                        .filter_map(|f| f.in_second_unit().map(|g| g.unit().to_string()))
                        // Each unit once: total and HDL cholesterol are both in mmol/L.
                        .fold(Vec::<String>::new(), |mut units, u| {
                            if !units.contains(&u) {
                                units.push(u);
                            }
                            units
                        })
                        .join(", "),
                )
            })
        })
    };

    let body = match &state.bundle {
        None => html! {},
        Some(Load::Loading) => html! { <p class="muted">{ Msg::Loading.text(lang) }</p> },
        Some(Load::Failed(e)) => html! {
            <p class="error" role="alert" id="bundle-error">{ load_error_text(Msg::BundleFailed, e, lang) }</p>
        },
        Some(Load::Ready(loaded)) => {
            let (on_input, on_example, on_clear, on_search, on_assess, on_loaded, on_reset) = (
                on_input.clone(),
                on_example.clone(),
                on_clear.clone(),
                on_search.clone(),
                on_assess.clone(),
                on_loaded.clone(),
                on_reset.clone(),
            );
            let library = state.library().unwrap_or_else(|| loaded.cases.clone());
            // Teaching needs cases: with a published equation (none) the Assess view shows,
            // whichever path (a tab, the embed's `teach`) asked for Teach.
            let view = if state.view == View::Teach && library.is_empty() {
                View::Assess
            } else {
                state.view
            };
            let loader = html! {
                <LibraryLoader loaded={loaded.clone()} custom={state.custom.clone()} error={state.library_error.clone()}
                    {on_loaded} {on_reset} {lang} />
            };
            let tabs = html! {
                <Tabs loaded={loaded.clone()} patient={state.patient.clone()} {view} {lang} dispatch={dispatch.clone()} validate={!embedded} selected={state.selected.clone().unwrap_or_default()} />
            };
            let record = props.launch.as_ref().map(|launch| html! {
                <super::launch::RecordPanel launch={launch.clone()} loaded={loaded.clone()} patient={state.patient.clone()}
                    read={state.record.clone()} {lang} />
            });
            match view {
                View::Assess => html! {
                    <>
                    { tabs }
                    { record.unwrap_or_default() }
                    <AssessView loaded={loaded.clone()} patient={state.patient.clone()} si={state.si} library={library.clone()}
                        search={state.search.clone()} import_error={state.import_error.clone()} launched={props.launch.is_some()} {loader} {lang}
                        dispatch={dispatch.clone()} {on_input} {on_example} {on_clear} {on_search} />
                    </>
                },
                View::Health => html! {
                    <>
                    { tabs }
                    <div class="panels">
                        <super::health_panel::HealthPanel loaded={loaded.clone()} inputs={state.patient.canonical.clone()} {lang} si={state.si}
                            risk={state.patient.outcome.as_ref().and_then(|o| o.assessment.as_ref()).filter(|_| loaded.bundle.published.is_some())
                                .and_then(|a| a.probabilities.get(a.focus).map(|c| (c.probability, a.base_rate)))} />
                    </div>
                    </>
                },
                View::Validate => html! {
                    <>
                    { tabs }
                    <div class="panels">
                        { validate_view(loaded, &state, lang, &dispatch) }
                    </div>
                    </>
                },
                View::Teach => html! {
                    <>
                    { tabs }
                    <div class="panels">
                        <Teach loaded={loaded.clone()} {library} search={state.search.clone()} {on_search} {on_assess} {lang} />
                        { loader }
                    </div>
                    </>
                },
            }
        }
    };

    html! {
        <>
            <Header {lang} si={state.si} second_units={(*second_units).clone()} dispatch={dispatch.clone()} />
            <p class="disclaimer" id="disclaimer"><strong>{ if state.loaded().is_some_and(|l| l.bundle.published.is_some()) { Msg::DisclaimerPublished } else { Msg::Disclaimer }.text(lang) }</strong>{ " " }{ if props.launch.is_some() { Msg::PrivacyLaunch } else { Msg::Privacy }.text(lang) }</p>
            if !embedded {
                <Picker {lang} index={state.index.clone()} selected={state.selected.clone().map(AttrValue::from)} dispatch={dispatch.clone()} />
            }
            { body }
        </>
    }
}

/// The Validate view, in the data team's build (`validate` feature, www/validate.html) only.
#[cfg(feature = "validate")]
fn validate_view(
    loaded: &Rc<Loaded>,
    state: &State,
    lang: Lang,
    dispatch: &UseReducerDispatcher<State>,
) -> Html {
    html! { <super::validate_view::ValidateView loaded={loaded.clone()} validation={state.validation.clone()} {lang} dispatch={dispatch.clone()} /> }
}

#[cfg(not(feature = "validate"))]
fn validate_view(_: &Rc<Loaded>, _: &State, _: Lang, _: &UseReducerDispatcher<State>) -> Html {
    Html::default()
}
