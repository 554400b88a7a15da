//! The header: the title, and the language and units switches.

use yew::prelude::*;

use super::state::{Action, State};
use crate::present::ui::Msg;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Whether features with a second unit are shown in it.
    pub si: bool,
    /// The second units the model's schema declares ("mmol/L"), if any: only then is there a
    /// units switch.
    pub second_units: Option<AttrValue>,
    pub dispatch: UseReducerDispatcher<State>,
}

#[function_component]
pub fn Header(props: &Props) -> Html {
    let lang = props.lang;
    let toggle_lang = {
        let d = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::SetLang(if lang == Lang::En {
                Lang::Zh
            } else {
                Lang::En
            }))
        })
    };
    let toggle_units = {
        let (d, si) = (props.dispatch.clone(), props.si);
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SetUnits(!si)))
    };
    html! {
        <header class="top">
            <div>
                <h1>{ Msg::AppTitle.text(lang) }</h1>
                <p class="tagline">{ Msg::Tagline.text(lang) }</p>
            </div>
            <div class="switches">
                if let Some(units) = props.second_units.as_ref().filter(|u| !u.is_empty()) {
                    <button type="button" class="lang" id="units-toggle" aria-pressed={props.si.to_string()} onclick={toggle_units}>
                        { format!("{} ({units})", Msg::SiUnits.text(lang)) }
                    </button>
                }
                <button type="button" class="lang" id="lang-toggle" onclick={toggle_lang}>{ Msg::SwitchLanguage.text(lang) }</button>
            </div>
        </header>
    }
}
