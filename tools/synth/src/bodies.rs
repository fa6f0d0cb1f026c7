//! Themes of organisations named from a template rather than a trade name: public
//! administration, hospitals and care, schools and universities, associations, foundations
//! and social services.
//!
//! Templates use `{c}` city, `{t}` trade name, `{i}` industry word, `{s}` sector, `{u}`
//! sub-unit, `{d}` district and `{n}` a small number; an empty template list (every theme in
//! `themes`) means the ordinary company pattern (city, trade name, industry word, legal form).

use crate::themes::{Theme, W};

const fn body(words: [W; 5], tpl: [W; 5], margin: f64, assets: f64, rpe: f64, site: f64) -> Theme {
    Theme { words, tpl, cn_form: None, margin, assets, rpe, site, trade: false }
}

pub(crate) const PUB_GENERAL: Theme = body(
    [
        &["财政局", "机关事务管理局", "国有资产监督管理委员会", "公共资源交易中心", "审计局"],
        &["City Council", "Treasury Office", "Municipal Office"],
        &["Stadtverwaltung", "Stadtkämmerei"],
        &["Mairie de", "Métropole de"],
        &["Gemeente"],
    ],
    [
        &["{c}市{i}", "{c}市{d}{i}", "{c}市{i}{u}", "{c}市{d}{i}{u}"],
        &["{c} {i}", "{c} {i} {u}"],
        &["{i} {c}"],
        &["{i} {c}"],
        &["{i} {c}"],
    ],
    0.05,
    3.0,
    500.0,
    200.0,
);
pub(crate) const PUB_SOCIAL: Theme = body(
    [
        &["教育局", "卫生健康委员会", "文化和旅游局", "体育局", "民政局"],
        &["Department of Education", "Health Authority", "Cultural Services"],
        &["Schulamt", "Gesundheitsamt", "Kulturamt"],
        &["Académie de", "Direction de la Culture de"],
        &["GGD", "Onderwijsdienst"],
    ],
    [
        &["{c}市{i}", "{c}市{d}{i}", "{c}市{d}{i}{u}"],
        &["{c} {i}", "{c} {i} {u}"],
        &["{i} {c}"],
        &["{i} {c}"],
        &["{i} {c}"],
    ],
    0.05,
    2.0,
    400.0,
    200.0,
);
pub(crate) const PUB_ECONOMIC: Theme = body(
    [
        &["交通运输局", "住房和城乡建设局", "商务局", "发展和改革委员会", "水务局", "港务管理局"],
        &["Transport Authority", "Port Authority", "Housing Authority", "Development Agency"],
        &["Hafenbehörde", "Wirtschaftsförderung"],
        &["Port de", "Agence de Développement de"],
        &["Havenbedrijf", "Ontwikkelingsbedrijf"],
    ],
    [
        &["{c}市{i}", "{c}市{d}{i}", "{c}市{i}{u}", "{c}市{d}{i}{u}"],
        &["{c} {i}", "{c} {i} {u}"],
        &["{i} {c}"],
        &["{i} {c}"],
        &["{i} {c}"],
    ],
    0.08,
    4.0,
    800.0,
    200.0,
);
pub(crate) const PUB_SECURITY: Theme = body(
    [
        &["社会保险事业管理中心", "医疗保障局", "住房公积金管理中心"],
        &["Social Security Office", "Pension Fund"],
        &["Versorgungswerk", "Rentenkasse"],
        &["Caisse de Retraite de", "URSSAF"],
        &["Pensioenfonds", "Sociale Dienst"],
    ],
    [&["{c}市{i}"], &["{c} {i}"], &["{i} {c}"], &["{i} {c}"], &["{i} {c}"]],
    0.05,
    8.0,
    1000.0,
    200.0,
);
pub(crate) const HOSPITAL: Theme = body(
    [
        &["医疗", "医院管理", "健康产业"],
        &["Healthcare", "Medical Group", "Clinics"],
        &["Kliniken", "Gesundheit"],
        &["Santé", "Cliniques"],
        &["Zorg", "Klinieken"],
    ],
    [
        &["{c}市第{n}人民医院", "{c}市中医医院", "{c}市妇幼保健院", "{c}市{d}人民医院", "{c}市中心医院"],
        &["{c} General Hospital", "{c} University Hospital"],
        &["Klinikum {c}", "Universitätsklinikum {c}"],
        &["Centre Hospitalier de {c}", "CHU de {c}"],
        &["Ziekenhuis {c}", "Medisch Centrum {c}"],
    ],
    0.10,
    1.2,
    500.0,
    600.0,
);
pub(crate) const CARE: Theme = body(
    [
        &["健康管理", "口腔医疗", "养老服务", "康复医疗"],
        &["Care", "Health Services", "Dental"],
        &["Pflege", "Gesundheitsdienste"],
        &["Soins", "Santé"],
        &["Zorg", "Thuiszorg"],
    ],
    [
        &["{c}市{d}社区卫生服务中心", "{c}市第{n}福利院"],
        &["{c} Community Health Centre"],
        &["Gesundheitszentrum {c}"],
        &["Centre de Santé de {c}"],
        &["Zorgcentrum {c}"],
    ],
    0.09,
    1.0,
    350.0,
    80.0,
);
pub(crate) const SCHOOL: Theme = body(
    [
        &["教育科技", "教育", "培训"],
        &["Education", "Learning", "Academy"],
        &["Bildung", "Akademie"],
        &["Éducation", "Formation"],
        &["Onderwijs", "Academie"],
    ],
    [
        &["{c}市第{n}中学", "{c}市{d}实验小学", "{c}市第{n}职业技术学校"],
        &["{c} Grammar School", "{c} College"],
        &["Gymnasium {c}", "Berufsschule {c}"],
        &["Lycée de {c}", "Collège de {c}"],
        &["Lyceum {c}", "ROC {c}"],
    ],
    0.08,
    2.5,
    300.0,
    300.0,
);
pub(crate) const UNIVERSITY: Theme = body(
    [&["教育", "职业培训"], &["Education", "Institute"], &["Akademie"], &["Institut"], &["Instituut"]],
    [
        &["{c}{t}职业技术学院", "{c}理工学院", "{c}{t}学院"],
        &["University of {c}", "{c} Institute of Technology"],
        &["Hochschule {c}", "Universität {c}"],
        &["Université de {c}", "École d'Ingénieurs de {c}"],
        &["Hogeschool {c}", "Universiteit {c}"],
    ],
    0.08,
    3.0,
    400.0,
    1500.0,
);
pub(crate) const ASSOCIATION: Theme = body(
    [&["行业协会", "商会"], &["Association", "Industry Council"], &["Verband"], &["Fédération"], &["Vereniging"]],
    [
        &["{c}市{s}行业协会", "{c}市{d}{s}商会", "{c}市{s}商会", "{c}市{d}{s}协会"],
        &["{c} {s} Association", "{c} {s} Industry Council", "{s} Traders' Association of {c}"],
        &["{s}verband {c}", "Fachverband {s} {c}"],
        &["Fédération {s} de {c}", "Chambre Syndicale {s} de {c}"],
        &["Vereniging {s} {c}", "Branchevereniging {s} {c}"],
    ],
    0.03,
    1.5,
    600.0,
    30.0,
);
pub(crate) const PROFESSION: Theme = body(
    [
        &[
            "注册会计师协会",
            "律师协会",
            "工程师学会",
            "医师协会",
            "药师协会",
            "税务师协会",
            "建筑师学会",
            "资产评估协会",
            "护理学会",
            "房地产估价师协会",
        ],
        &[
            "Law Society",
            "Institute of Accountants",
            "Engineering Institute",
            "Medical Association",
            "Society of Architects",
            "Institute of Surveyors",
            "Bar Association",
            "Nursing Council",
        ],
        &["Rechtsanwaltskammer", "Ingenieurkammer"],
        &["Ordre des Avocats de", "Ordre des Experts-Comptables de"],
        &["Orde van Advocaten", "Beroepsvereniging"],
    ],
    [&["{c}市{i}", "{c}市{d}{i}", "{c}市{d}{i}"], &["{c} {i}"], &["{i} {c}"], &["{i} {c}"], &["{i} {c}"]],
    0.03,
    1.5,
    600.0,
    30.0,
);
pub(crate) const FOUNDATION: Theme = body(
    [
        &["慈善基金会", "公益基金会", "教育基金会"],
        &["Foundation", "Charitable Trust"],
        &["Stiftung"],
        &["Fondation"],
        &["Stichting"],
    ],
    [&["{t}{i}", "{c}市{t}{i}"], &["{t} {i}"], &["{t} {i}"], &["{i} {t}"], &["{i} {t}"]],
    0.02,
    3.0,
    500.0,
    30.0,
);
pub(crate) const SOCIAL: Theme = body(
    [
        &["社会工作服务中心", "养老服务中心", "助残服务中心"],
        &["Community Trust", "Care Trust"],
        &["Sozialwerk", "Diakonie"],
        &["Association d'Entraide", "Solidarité"],
        &["Zorggroep", "Welzijn"],
    ],
    [&["{c}市{t}{i}", "{c}市{d}{i}"], &["{t} {i}"], &["{i} {t}"], &["{i} {t}"], &["{i} {t}"]],
    0.02,
    1.0,
    200.0,
    50.0,
);
