// The sample portal's own script: it uses only Bedside's public surface (the element, its
// methods and its `bedside:assessment` event) and renders Bedside's CDS Hooks cards itself.
import './widget.js';

const diabetes = document.getElementById('w-diabetes');
const list = document.getElementById('portal-cards');

function render(cards) {
  list.replaceChildren();
  for (const card of cards?.cards ?? []) {
    const li = document.createElement('li');
    li.className = card.indicator;
    li.dataset.indicator = card.indicator;
    li.textContent = `${card.summary} — ${card.source.label}`;
    list.append(li);
  }
  if (!list.children.length) list.innerHTML = '<li class="empty">No cards yet.</li>';
}
diabetes.addEventListener('bedside:assessment', (e) => render(e.detail.cards));

document.getElementById('send-patient').addEventListener('click', () =>
  diabetes.setPatient({ npreg: 6, glu: 148, bp: 72, skin: 35, bmi: 33.6, ped: 0.627, age: 50 }));
