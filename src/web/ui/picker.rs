//! The model picker (standalone page only): the bundles of `index.json`, or why there are none.

use std::rc::Rc;

use yew::prelude::*;

use super::state::{load_error_text, Action, IndexEntry, Load, State};
use crate::present::ui::Msg;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub index: Load<Rc<Vec<IndexEntry>>>,
    pub selected: Option<AttrValue>,
    pub dispatch: UseReducerDispatcher<State>,
}

#[function_component]
pub fn Picker(props: &Props) -> Html {
    let lang = props.lang;
    let on_select = {
        let d = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            d.dispatch(Action::Select(select.value()));
        })
    };
    // Its place is held from the page's first paint (`.picker-slot`), so nothing below moves.
    let inner = match &props.index {
        Load::Loading => html! { <p class="muted">{ Msg::Loading.text(lang) }</p> },
        Load::Failed(e) => html! {
            <p class="error" role="alert" id="index-error">{ load_error_text(Msg::IndexFailed, e, lang) }</p>
        },
        Load::Ready(entries) if entries.is_empty() => {
            html! { <p class="error" role="alert">{ Msg::NoBundles.text(lang) }</p> }
        }
        Load::Ready(entries) => {
            let selected = props.selected.clone().unwrap_or_default();
            let known = entries.iter().any(|e| e.file == *selected);
            html! {
                <label class="picker">
                    <span>{ Msg::Model.text(lang) }</span>
                    <select id="bundle-select" onchange={on_select}>
                        if !known && !selected.is_empty() {
                            <option value={selected.clone()} selected=true>{ selected.clone() }</option>
                        }
                        { for entries.iter().map(|e| html! {
                            <option value={e.file.clone()} selected={e.file == *selected}>{ e.title.get(lang) }</option>
                        }) }
                    </select>
                </label>
            }
        }
    };
    html! { <div class="picker-slot">{ inner }</div> }
}
