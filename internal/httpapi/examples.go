package httpapi

import (
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// The request bodies' examples in the OpenAPI document, taken from the reference seed of
// Tajikistan's plan so that a dashboard developer sees real codes and real prose. They are
// typed so that a renamed field breaks the build; the spec test validates them against their
// schemas.

// withExample documents a JSON request body by an example; huma adds its schema.
func withExample(example any) *huma.RequestBody {
	return &huma.RequestBody{Content: map[string]*huma.MediaType{"application/json": {Example: example}}}
}

func ptr[T any](v T) *T { return &v }

// The ids of seeded objects differ between databases; these stand for them.
const (
	examplePeriodID    = "5b0e6f9e-3c1a-4c55-9d8e-2f4a1c7d9b10"
	exampleIndicatorID = "a3f1c2d4-7e8b-4f60-8a9c-1b2d3e4f5a61"
)

var exampleOrganization = OrganizationFields{
	Code:   ptr("AEA"),
	Kind:   ptr[OrganizationKind]("agency"),
	Name:   &TextInput{En: "Agency for Employment Abroad", Ru: "Агентство по трудоустройству за рубежом"},
	Parent: ptr("MLME"),
	SourceFields: SourceFields{
		Provenance:     ptr[Provenance]("partly_sourced"),
		ProvenanceNote: ptr("The English name and its 2014 creation under the labour ministry come from ILO supervisory (CEACR) comments; the Russian name is unverified."),
	},
}

var exampleOrganizationChange = OrganizationFields{
	Active:    ptr(false),
	ValidTo:   ptr("2013-11-19"),
	Successor: ptr("MLME"),
}

var examplePlan = PlanFields{
	Code: ptr("TJK-CMW-NAP-2020"),
	Title: &TextInput{
		En: "National Action Plan for implementing the recommendations of the UN Committee on Migrant Workers (CMW/C/TJK/CO/2)",
		Ru: "Национальный план действий по выполнению рекомендаций Комитета ООН по защите прав всех трудящихся-мигрантов и членов их семей (CMW/C/TJK/CO/2)",
	},
	PeriodStart: ptr("2020-01-01"),
	PeriodEnd:   ptr("2024-12-31"),
	ApprovedBy:  ptr("GCHR"),
	Status:      ptr[PlanStatus]("draft"),
	SourceFields: SourceFields{
		Provenance:     ptr[Provenance]("illustrative"),
		ProvenanceNote: ptr("A draft follow-up plan; its period is a placeholder."),
	},
}

var examplePlanChange = PlanFields{
	ExtendedTo: ptr("2017-12-31"),
	SourceFields: SourceFields{
		ProvenanceNote: ptr("Tajikistan's second periodic report (CMW/C/TJK/2) calls it the plan for 2013-2017."),
	},
}

var exampleReportingPeriod = NewReportingPeriod{Label: "2018-H1", StartsOn: "2018-01-01", EndsOn: "2018-06-30",
	SubmissionDeadline: "2018-07-31", ReviewDeadline: "2018-08-31"}

var exampleMeChange = MeFields{PreferredLanguage: ptr(Language("tg")), Reminders: ptr(false)}

var examplePeriodChange = PeriodFields{SubmissionDeadline: ptr("2018-08-15"), ReviewDeadline: ptr("2018-09-15")}

var exampleMeasure = MeasureFields{
	Code: ptr("1.6"),
	Title: &TextInput{
		En: "Set up a State agency for overseas employment and its regional centres",
		Ru: "Создание Агентства по трудоустройству за рубежом и его региональных центров",
	},
	DueStart:       ptr("2014-01-01"),
	DueEnd:         ptr("2014-12-31"),
	Lead:           ptr("MLME"),
	CoImplementers: ptr([]OrgCode{"MS"}),
	Partners:       ptr([]OrgCode{"IOM", "ILO"}),
	Articles:       ptr([]Article{65, 66}),
}

var exampleMeasureChange = MeasureFields{
	DueEnd:       ptr("2015-06-30"),
	DeadlineText: &TextInput{En: "by June 2015", Ru: "до июня 2015 г."},
}

var exampleIndicator = IndicatorFields{
	Code:       ptr("1.6.2"),
	Title:      &TextInput{En: "Regional recruitment centres operating", Ru: "Число действующих региональных центров по подбору кадров"},
	Kind:       ptr[IndicatorKind]("number"),
	Unit:       ptr("centres"),
	Baseline:   ptr(0.0),
	Target:     ptr(4.0),
	TargetDate: ptr("2014-12-31"),
}

var exampleIndicatorChange = IndicatorFields{
	Target: ptr(4.0),
	SourceFields: SourceFields{
		Provenance:     ptr[Provenance]("partly_sourced"),
		ProvenanceNote: ptr("The four centres are named in the ILO CEACR's 2021 comment; whether four was the planned target is unverified."),
	},
}

var exampleProgressUpdate = NewProgressUpdate{ProgressUpdateFields: ProgressUpdateFields{
	PeriodID:       ptr(examplePeriodID),
	ProposedStatus: ptr[ReportedStatus]("partially_implemented"),
	Narrative: &TextInput{
		Tg: "Тибқи шарҳҳои Кумитаи коршиносони СБМ, соли 2014 дар назди Вазорати меҳнат, муҳоҷират ва шуғли аҳолӣ Агентии шуғли аҳолӣ дар хориҷи кишвар таъсис дода шуд.",
		Ru: "По данным комментариев Комитета экспертов МОТ, в 2014 году при Министерстве труда, миграции и занятости населения создано Агентство по трудоустройству за рубежом.",
		En: "According to ILO supervisory comments, the Agency for Employment Abroad was set up under the Ministry of Labour, Migration and Employment of Population in 2014.",
	},
	NextSteps: &TextInput{
		En: "Open the regional recruitment centres in Dushanbe, Khujand, Khorog and Bokhtar.",
		Ru: "Открыть региональные центры подбора кадров в Душанбе, Худжанде, Хороге и Бохтаре.",
	},
	IndicatorValues: ptr([]NewIndicatorValue{{IndicatorID: exampleIndicatorID, Value: ptr(1.0), Note: "Created in 2014 according to ILO CEACR comments; the month is not given."}}),
	Visibility:      ptr[Visibility]("public"),
}}

var exampleProgressUpdateChange = ProgressUpdateFields{
	ProgressPercent: ptr(50),
	Challenges: &TextInput{
		En: "The centres' opening dates are not yet documented.",
		Ru: "Даты открытия центров пока не подтверждены документами.",
	},
}

// exampleReasons are the review steps' examples, by action.
var exampleReasons = map[nap.ReviewAction]ReviewComment{
	nap.ActionSubmit:   {Reason: "Ready for review; the ILO comment is attached as evidence."},
	nap.ActionSignOff:  {Reason: "Checked against the ministry's records."},
	nap.ActionReturn:   {Reason: "Attach the Government decision that set up the agency: the ILO comment alone does not date it."},
	nap.ActionApprove:  {Reason: "Consistent with the ILO CEACR comment."},
	nap.ActionReject:   {Reason: "Duplicates the approved update of 2014-H2 on the same measure."},
	nap.ActionWithdraw: {Reason: "Filed under the wrong measure; it is refiled under 1.6."},
}

var exampleEvidenceMetadata = EvidenceMetadata{
	Kind: "decree",
	Title: TextInput{
		En: "Government decision No. 146 of 3 March 2014 approving the Regulation on the Ministry of Labour, Migration and Employment of Population",
		Ru: "Постановление Правительства Республики Таджикистан № 146 от 3 марта 2014 года об утверждении Положения о Министерстве труда, миграции и занятости населения",
	},
	Language:     "ru",
	DocumentDate: ptr("2014-03-03"),
	Visibility:   "public",
}

var exampleEvidenceLink = EvidenceLink{
	EvidenceMetadata: EvidenceMetadata{
		Kind:       "report",
		Title:      TextInput{En: "ILO Committee of Experts (CEACR), 2021 comment on Tajikistan's application of Convention No. 97"},
		Language:   "en",
		Visibility: "public",
	},
	URL: "https://www.ilo.org/dyn/normlex/en/f?p=1000:13100:0::NO::P13100_COMMENT_ID:4129470",
}

var exampleUser = NewUser{Email: "focal.point@mehnat.tj", Name: "Focal point, Ministry of Labour, Migration and Employment of Population"}

var exampleUserChange = UserFields{Active: ptr(false)}

var exampleMembership = NewMembership{
	Role:         "focal_point",
	Organization: "MLME",
	ValidTo:      ptr(time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)),
}

var exampleToken = NewToken{Name: "IOM dashboard", TTLHours: 2160}
