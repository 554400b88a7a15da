// The FHIR data the SMART test server holds: every resource of the two Synthea Bundles in
// data/fhir/ (with their `urn:uuid:` references rewritten to `Type/id`, as a server would store
// them after processing the transaction), plus two patients of our own:
//
// - `allergic`: a woman of about 50 whose record is what the app reads: glucose (2339-0), the
//   blood-pressure panel 85354-9 with systolic 8480-6 and diastolic 8462-4 as components, BMI
//   (39156-5), a salicylate allergy, an active peptic ulcer and an active prescription. Each
//   measurement has a monthly history (oldest first), so the latest value is on the LAST page of
//   a code search (page size 20): an app that does not follow `next` reads stale values.
//   Heart rates (8867-4) on the same dates are there only to make unfiltered searches longer.
// - `empty`: a patient with a name and birth date and nothing else.
// - `prevent`: a woman born 1974-06-01 with everything the published cardiovascular equations
//   read (2026-10-01): total cholesterol 200 and HDL 45 mg/dL, systolic 160 in a 85354-9 panel,
//   eGFR 90 (CKD-EPI 2021, 98979-8), smoking status "never smoker" (72166-2), an active type 2
//   diabetes Condition, active lisinopril and atorvastatin prescriptions, and a stopped one.
//
// Latest values of `allergic` (what the app should show): glucose 148 mg/dL, systolic 134 and
// diastolic 72 mm[Hg], BMI 33.6 kg/m2, all on 2026-10-15.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const ALLERGIC_ID = 'smart-allergic-1';
export const EMPTY_ID = 'smart-empty-1';
export const PREVENT_ID = 'smart-prevent-1';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

/** Replace every `reference` that names a Bundle entry's fullUrl by `Type/id`. */
function rewriteReferences(value, fullUrls) {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, fullUrls));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'reference' && typeof v === 'string' && fullUrls.has(v) ? fullUrls.get(v) : rewriteReferences(v, fullUrls);
    }
    return out;
  }
  return value;
}

/** Every resource of one Bundle file, references rewritten. */
function bundleResources(path) {
  const bundle = JSON.parse(readFileSync(path, 'utf8'));
  const fullUrls = new Map(bundle.entry
    .filter((e) => e.fullUrl && e.resource?.id)
    .map((e) => [e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`]));
  return bundle.entry.map((e) => rewriteReferences(e.resource, fullUrls));
}

const coding = (system, code, display) => ({ system, code, display });
const concept = (system, code, display) => ({ coding: [coding(system, code, display)], text: display });
const quantity = (value, unit) => ({ value, unit, system: UCUM, code: unit });
const category = (code) => [{ coding: [coding(OBS_CATEGORY, code, code === 'vital-signs' ? 'Vital Signs' : 'Laboratory')] }];

/** `n` monthly dates ending on 2026-10-15 (oldest first), as FHIR dateTimes. */
function monthlyDates(n) {
  const out = [];
  for (let i = n - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(2026, 9 - i, 15, 9, 30));
    out.push(d.toISOString().replace('.000Z', '+00:00'));
  }
  return out;
}

function observation(id, patientId, date, cat, code, extra) {
  return {
    resourceType: 'Observation',
    id,
    meta: { lastUpdated: date },
    status: 'final',
    category: category(cat),
    code,
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: date,
    issued: date,
    ...extra,
  };
}

/** The `allergic` patient and her record. */
function allergicPatient() {
  const p = ALLERGIC_ID;
  const out = [{
    resourceType: 'Patient',
    id: p,
    meta: { lastUpdated: '2026-10-15T09:30:00+00:00' },
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: 'MRN-500176' }],
    active: true,
    name: [{ use: 'official', family: 'Okafor', given: ['Grace', 'Adaeze'] }],
    gender: 'female',
    birthDate: '1976-03-08',
  }];
  const dates = monthlyDates(24); // 2024-11-15 … 2026-10-15
  // Older values differ from the latest so a test can tell which one the app used.
  const glucose = [118, 124, 131, 109, 127, 135, 122, 140, 116, 129, 133, 121, 138, 126, 112, 137, 130, 119, 142, 125, 134, 128, 139, 148];
  const systolic = [128, 131, 136, 129, 140, 133, 127, 138, 132, 135, 141, 130, 137, 129, 134, 139, 131, 136, 143, 128, 135, 137, 132, 134];
  const diastolic = [84, 81, 86, 79, 88, 83, 80, 85, 82, 87, 84, 78, 86, 81, 83, 85, 80, 87, 82, 79, 84, 86, 81, 72];
  const heart = [72, 75, 69, 80, 77, 71, 74, 78, 70, 76, 73, 79, 68, 75, 77, 72, 74, 70, 78, 76, 71, 73, 75, 74];
  dates.forEach((date, i) => {
    const n = String(i + 1).padStart(2, '0');
    out.push(observation(`${p}-glucose-${n}`, p, date, 'laboratory',
      concept(LOINC, '2339-0', 'Glucose [Mass/volume] in Blood'),
      { valueQuantity: quantity(glucose[i], 'mg/dL') }));
    out.push(observation(`${p}-bp-${n}`, p, date, 'vital-signs',
      concept(LOINC, '85354-9', 'Blood pressure panel with all children optional'),
      {
        component: [
          { code: concept(LOINC, '8480-6', 'Systolic blood pressure'), valueQuantity: quantity(systolic[i], 'mm[Hg]') },
          { code: concept(LOINC, '8462-4', 'Diastolic blood pressure'), valueQuantity: quantity(diastolic[i], 'mm[Hg]') },
        ],
      }));
    out.push(observation(`${p}-hr-${n}`, p, date, 'vital-signs',
      concept(LOINC, '8867-4', 'Heart rate'), { valueQuantity: quantity(heart[i], '/min') }));
  });
  // Extra heart rates between visits (home monitoring), unrelated to the model.
  monthlyDates(12).forEach((date, i) => {
    const d = date.replace('-15T', '-02T');
    out.push(observation(`${p}-hr-home-${String(i + 1).padStart(2, '0')}`, p, d, 'vital-signs',
      concept(LOINC, '8867-4', 'Heart rate'), { valueQuantity: quantity(66 + (i % 7), '/min') }));
  });
  [['2025-04-15', 33.0], ['2025-10-15', 33.3], ['2026-10-15', 33.6]].forEach(([day, bmi], i) => {
    out.push(observation(`${p}-bmi-${i + 1}`, p, `${day}T09:30:00+00:00`, 'vital-signs',
      concept(LOINC, '39156-5', 'Body mass index (BMI) [Ratio]'), { valueQuantity: quantity(bmi, 'kg/m2') }));
  });
  out.push({
    resourceType: 'AllergyIntolerance',
    id: `${p}-allergy-salicylate`,
    meta: { lastUpdated: '2024-06-11T10:00:00+00:00' },
    clinicalStatus: concept('http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', 'active', 'Active'),
    verificationStatus: concept('http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', 'confirmed', 'Confirmed'),
    type: 'allergy',
    category: ['medication'],
    criticality: 'high',
    // SNOMED CT 293585002 |Salicylate allergy| (cited from SNOMED International's ECL specification).
    code: concept(SNOMED, '293585002', 'Salicylate allergy'),
    patient: { reference: `Patient/${p}` },
    onsetDateTime: '2024-06-01',
    recordedDate: '2024-06-11T10:00:00+00:00',
    reaction: [{ manifestation: [{ text: 'Hives and wheezing after aspirin' }], severity: 'moderate' }],
  });
  out.push({
    resourceType: 'Condition',
    id: `${p}-condition-peptic-ulcer`,
    meta: { lastUpdated: '2025-03-02T11:00:00+00:00' },
    clinicalStatus: concept('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active', 'Active'),
    verificationStatus: concept('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed', 'Confirmed'),
    category: [concept('http://terminology.hl7.org/CodeSystem/condition-category', 'problem-list-item', 'Problem List Item')],
    code: concept(SNOMED, '13200003', 'Peptic ulcer'),
    subject: { reference: `Patient/${p}` },
    onsetDateTime: '2025-02-20',
    recordedDate: '2025-03-02T11:00:00+00:00',
  });
  out.push({
    resourceType: 'MedicationRequest',
    id: `${p}-medreq-lisinopril`,
    meta: { lastUpdated: '2025-05-20T14:00:00+00:00' },
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: concept(RXNORM, '314076', 'lisinopril 10 MG Oral Tablet'),
    subject: { reference: `Patient/${p}` },
    authoredOn: '2025-05-20T14:00:00+00:00',
    dosageInstruction: [{ text: '10 mg by mouth once daily' }],
  });
  return out;
}

function preventPatient() {
  const p = PREVENT_ID;
  const date = '2026-10-01T09:00:00+00:00';
  const lab = (id, code, display, value, unit) => observation(`${p}-${id}`, p, date, 'laboratory',
    concept(LOINC, code, display), { valueQuantity: quantity(value, unit) });
  const prescription = (id, system, code, display, status) => ({
    resourceType: 'MedicationRequest',
    id: `${p}-medreq-${id}`,
    meta: { lastUpdated: date },
    status,
    intent: 'order',
    medicationCodeableConcept: concept(system, code, display),
    subject: { reference: `Patient/${p}` },
    authoredOn: '2025-02-01T10:00:00+00:00',
  });
  return [
    {
      resourceType: 'Patient',
      id: p,
      meta: { lastUpdated: date },
      active: true,
      name: [{ use: 'official', family: 'Lindqvist', given: ['Maria'] }],
      gender: 'female',
      birthDate: '1974-06-01',
    },
    lab('tc', '2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma', 200, 'mg/dL'),
    lab('hdl', '2085-9', 'Cholesterol in HDL [Mass/volume] in Serum or Plasma', 45, 'mg/dL'),
    lab('egfr', '98979-8', 'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)', 90, 'mL/min/{1.73_m2}'),
    observation(`${p}-bp`, p, date, 'vital-signs', concept(LOINC, '85354-9', 'Blood pressure panel with all children optional'), {
      component: [
        { code: concept(LOINC, '8480-6', 'Systolic blood pressure'), valueQuantity: quantity(160, 'mm[Hg]') },
        { code: concept(LOINC, '8462-4', 'Diastolic blood pressure'), valueQuantity: quantity(92, 'mm[Hg]') },
      ],
    }),
    observation(`${p}-smoking`, p, date, 'social-history', concept(LOINC, '72166-2', 'Tobacco smoking status'),
      { valueCodeableConcept: concept(SNOMED, '266919005', 'Never smoked tobacco') }),
    {
      resourceType: 'Condition',
      id: `${p}-condition-diabetes`,
      meta: { lastUpdated: date },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      code: concept(SNOMED, '44054006', 'Diabetes mellitus type 2'),
      subject: { reference: `Patient/${p}` },
      recordedDate: '2019-03-02T10:00:00+00:00',
    },
    prescription('lisinopril', RXNORM, '314076', 'lisinopril 10 MG Oral Tablet', 'active'),
    prescription('atorvastatin', 'http://www.whocc.no/atc', 'C10AA05', 'atorvastatin', 'active'),
    prescription('old-amlodipine', RXNORM, '197361', 'amlodipine 5 MG Oral Tablet', 'stopped'),
  ];
}

function emptyPatient() {
  return [{
    resourceType: 'Patient',
    id: EMPTY_ID,
    meta: { lastUpdated: '2026-09-01T08:00:00+00:00' },
    active: true,
    name: [{ use: 'official', family: 'Nakamura', given: ['Ken'] }],
    gender: 'male',
    birthDate: '1981-07-22',
  }];
}

/**
 * Load everything. Returns { store: Map<type, Map<id, resource>>, patients, practitionerId }.
 */
export function loadData(fhirDir) {
  const files = readdirSync(fhirDir).filter((f) => f.endsWith('.json')).sort();
  const resources = files.flatMap((f) => bundleResources(join(fhirDir, f)));
  const synthea = resources.find((r) => r.resourceType === 'Patient' && r.name?.[0]?.given?.[0] === 'Johnnie679');
  const fhiry = resources.find((r) => r.resourceType === 'Patient' && r !== synthea);
  const practitioner = resources.find((r) => r.resourceType === 'Practitioner');
  const all = [...resources, ...allergicPatient(), ...emptyPatient(), ...preventPatient()];
  const store = new Map();
  for (const r of all) {
    if (!store.has(r.resourceType)) store.set(r.resourceType, new Map());
    store.get(r.resourceType).set(r.id, r);
  }
  return {
    store,
    patients: { synthea: synthea.id, fhiry: fhiry.id, allergic: ALLERGIC_ID, empty: EMPTY_ID, prevent: PREVENT_ID },
    practitionerId: practitioner.id,
  };
}
