//! `stride catalogue list|show|add|delete`: the exercise catalogue (built-in entries and your
//! custom ones), and the command-line names of its enums.

use clap::{Args, Subcommand, ValueEnum};
use shared::pb::fitness::v1::catalogue_service_client::CatalogueServiceClient;
use shared::pb::fitness::v1::{
    CatalogueEntry, CatalogueSource, CreateCatalogueEntryRequest, DeleteCatalogueEntryRequest,
    Equipment, ExerciseCategory, GetCatalogueEntryRequest, ListCatalogueRequest, MuscleGroup,
    TrackingMode,
};

use super::sessions::{Page, more};
use super::{Client, answer};
use crate::error::Failure;
use crate::output::{self, enum_label, fields};

/// A command-line choice for each value of a proto enum (but its UNSPECIFIED), with the
/// conversion to it; clap spells the variants in kebab case (`upper-back`, `weight-reps`).
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident => $proto:ident { $($(#[$vmeta:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl From<$name> for $proto {
            fn from(choice: $name) -> Self {
                match choice {
                    $($name::$variant => $proto::$variant,)+
                }
            }
        }
    };
}

choice! {
    /// A muscle group.
    Muscle => MuscleGroup {
        /// Abdominals
        Abdominals,
        /// Shoulders (deltoids)
        Shoulders,
        /// Biceps
        Biceps,
        /// Triceps
        Triceps,
        /// Forearms
        Forearms,
        /// Quadriceps
        Quadriceps,
        /// Hamstrings
        Hamstrings,
        /// Calves
        Calves,
        /// Glutes
        Glutes,
        /// Abductors
        Abductors,
        /// Adductors
        Adductors,
        /// Latissimus dorsi
        Lats,
        /// Upper back (rhomboids, rear delts)
        UpperBack,
        /// Trapezius
        Traps,
        /// Lower back (erectors)
        LowerBack,
        /// Chest (pectorals)
        Chest,
        /// Heart and lungs
        Cardio,
        /// Neck
        Neck,
        /// The whole body
        FullBody,
    }
}

choice! {
    /// What an exercise is done with.
    Gear => Equipment {
        /// Body weight only
        None,
        /// Barbell
        Barbell,
        /// Dumbbells
        Dumbbell,
        /// Kettlebell
        Kettlebell,
        /// Weight-stack or plate-loaded machine
        Machine,
        /// Cable station
        Cable,
        /// A weight plate
        Plate,
        /// Resistance band
        ResistanceBand,
        /// Suspension trainer, rings, bars
        Suspension,
        /// Anything else (sled, rower, bike, rope)
        Other,
    }
}

choice! {
    /// Broad kind of exercise.
    Category => ExerciseCategory {
        /// Resistance training
        Strength,
        /// Cardiovascular training
        Cardio,
        /// Stretching and mobility
        Stretching,
        /// Jumps and explosive bodyweight work
        Plyometrics,
        /// Snatch, clean, jerk and their variants
        Olympic,
    }
}

choice! {
    /// How the sets of an exercise are measured.
    Mode => TrackingMode {
        /// Weight and reps, both required (bench press)
        WeightReps,
        /// Reps only (crunch)
        RepsOnly,
        /// Reps, optional added weight (pull-up)
        Bodyweight,
        /// Reps, optional assistance weight (assisted dip)
        Assisted,
        /// Duration only (plank)
        Duration,
        /// Distance, optional duration (running)
        DistanceDuration,
    }
}

/// `stride catalogue …`
#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// List catalogue entries matching every filter, by name
    List(ListArgs),
    /// Show one entry (a built-in slug or the id of one of your custom entries)
    Show {
        /// Entry id, e.g. barbell-bench-press
        id: String,
    },
    /// Add a custom entry of your own
    Add(AddArgs),
    /// Delete one of your custom entries (not while an exercise of yours references it)
    Delete {
        /// Id of your custom entry
        id: String,
    },
}

/// `stride catalogue list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries training this muscle (primary or secondary)
    #[arg(long)]
    pub muscle: Option<Muscle>,
    /// Only entries done with this equipment
    #[arg(long)]
    pub equipment: Option<Gear>,
    /// Only entries of this category
    #[arg(long)]
    pub category: Option<Category>,
    /// Only entries whose name contains this text (case-insensitive)
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "",
        hide_default_value = true
    )]
    pub search: String,
    /// Only your custom entries
    #[arg(long, conflicts_with = "built_in")]
    pub custom: bool,
    /// Only the built-in entries
    #[arg(long)]
    pub built_in: bool,
    #[command(flatten)]
    pub page: Page,
}

/// `stride catalogue add`
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name, 1–255 characters, unique among your custom entries
    pub name: String,
    /// Kind of exercise
    #[arg(long)]
    pub category: Category,
    /// A muscle mainly trained (repeat for several, 1–5)
    #[arg(long = "muscle", required = true)]
    pub muscles: Vec<Muscle>,
    /// A muscle also trained (repeat for several, up to 10)
    #[arg(long = "secondary")]
    pub secondary: Vec<Muscle>,
    /// What it is done with
    #[arg(long)]
    pub equipment: Gear,
    /// How its sets are measured
    #[arg(long)]
    pub mode: Mode,
    /// Print only the new entry's id
    #[arg(long, short)]
    pub quiet: bool,
}

impl ListArgs {
    /// The request these flags ask for.
    pub fn request(self) -> ListCatalogueRequest {
        let source = if self.custom {
            CatalogueSource::Custom
        } else if self.built_in {
            CatalogueSource::BuiltIn
        } else {
            CatalogueSource::Unspecified
        };
        ListCatalogueRequest {
            page_size: self.page.page_size,
            page_token: self.page.page_token,
            muscle: self.muscle.map_or(0, |m| MuscleGroup::from(m) as i32),
            equipment: self.equipment.map_or(0, |e| Equipment::from(e) as i32),
            category: self
                .category
                .map_or(0, |c| ExerciseCategory::from(c) as i32),
            name_contains: self.search,
            source: source as i32,
        }
    }
}

/// Runs `stride catalogue …`.
pub async fn catalogue(client: &Client, command: CatalogueCommand) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut api = CatalogueServiceClient::new(signed_in.fitness().await?);
    let out = client.out;
    match command {
        CatalogueCommand::List(args) => {
            let response = answer(api.list_catalogue(args.request()).await)?;
            out.show(&response, "stride.fitness.v1.ListCatalogueResponse", || {
                catalogue_table(&response.entries) + &more(&response.next_page_token)
            })
        }
        CatalogueCommand::Show { id } => {
            let entry = answer(
                api.get_catalogue_entry(GetCatalogueEntryRequest { id })
                    .await,
            )?;
            out.show(&entry, "stride.fitness.v1.CatalogueEntry", || {
                entry_fields(&entry)
            })
        }
        CatalogueCommand::Add(args) => {
            let entry = answer(
                api.create_catalogue_entry(CreateCatalogueEntryRequest {
                    entry: Some(CatalogueEntry {
                        name: args.name,
                        category: ExerciseCategory::from(args.category) as i32,
                        primary_muscles: muscles(&args.muscles),
                        secondary_muscles: muscles(&args.secondary),
                        equipment: Equipment::from(args.equipment) as i32,
                        tracking_mode: TrackingMode::from(args.mode) as i32,
                        ..CatalogueEntry::default()
                    }),
                })
                .await,
            )?;
            if args.quiet {
                output::line(&entry.id);
                return Ok(());
            }
            out.show(&entry, "stride.fitness.v1.CatalogueEntry", || {
                entry_fields(&entry)
            })
        }
        CatalogueCommand::Delete { id } => {
            answer(
                api.delete_catalogue_entry(DeleteCatalogueEntryRequest { id: id.clone() })
                    .await,
            )?;
            out.done(&format!("deleted catalogue entry {id}"));
            Ok(())
        }
    }
}

fn muscles(choices: &[Muscle]) -> Vec<i32> {
    choices
        .iter()
        .map(|m| MuscleGroup::from(*m) as i32)
        .collect()
}

/// `upper-back`, as the command line spells it, from a proto enum name.
fn label(name: &str, prefix: &str) -> String {
    enum_label(name, prefix).replace('_', "-")
}

/// A tracking mode as the command line spells it (`weight-reps`).
pub fn mode_label(mode: i32) -> String {
    TrackingMode::try_from(mode)
        .ok()
        .filter(|m| *m != TrackingMode::Unspecified)
        .map(|m| label(m.as_str_name(), "TRACKING_MODE_"))
        .unwrap_or_default()
}

fn muscle_labels(muscles: &[i32]) -> String {
    muscles
        .iter()
        .filter_map(|m| MuscleGroup::try_from(*m).ok())
        .map(|m| label(m.as_str_name(), "MUSCLE_GROUP_"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn category_label(category: i32) -> String {
    ExerciseCategory::try_from(category)
        .map(|c| label(c.as_str_name(), "EXERCISE_CATEGORY_"))
        .unwrap_or_default()
}

fn equipment_label(equipment: i32) -> String {
    Equipment::try_from(equipment)
        .map(|e| label(e.as_str_name(), "EQUIPMENT_"))
        .unwrap_or_default()
}

/// One entry as aligned key/value lines.
pub fn entry_fields(e: &CatalogueEntry) -> String {
    fields(&[
        ("id", e.id.clone()),
        ("name", e.name.clone()),
        ("category", category_label(e.category)),
        ("muscles", muscle_labels(&e.primary_muscles)),
        ("secondary", muscle_labels(&e.secondary_muscles)),
        ("equipment", equipment_label(e.equipment)),
        ("mode", mode_label(e.tracking_mode)),
        ("custom", if e.custom { "yes" } else { "no" }.to_owned()),
    ])
}

/// Entries as a table.
pub fn catalogue_table(entries: &[CatalogueEntry]) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.id.clone(),
                e.name.clone(),
                category_label(e.category),
                equipment_label(e.equipment),
                mode_label(e.tracking_mode),
                muscle_labels(&e.primary_muscles),
                if e.custom { "custom" } else { "" }.to_owned(),
            ]
        })
        .collect();
    output::table(
        &["ID", "NAME", "CATEGORY", "EQUIPMENT", "MODE", "MUSCLES", ""],
        &rows,
        "no catalogue entries",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_as_a_table_with_command_line_names() {
        let text = catalogue_table(&[CatalogueEntry {
            id: "barbell-bench-press".into(),
            name: "Bench Press (Barbell)".into(),
            category: ExerciseCategory::Strength as i32,
            primary_muscles: vec![MuscleGroup::Chest as i32, MuscleGroup::UpperBack as i32],
            equipment: Equipment::Barbell as i32,
            tracking_mode: TrackingMode::WeightReps as i32,
            ..CatalogueEntry::default()
        }]);
        assert_eq!(
            text,
            "ID                   NAME                   CATEGORY  EQUIPMENT  MODE         MUSCLES\n\
             barbell-bench-press  Bench Press (Barbell)  strength  barbell    weight-reps  chest, upper-back\n"
        );
    }

    #[test]
    fn the_list_flags_make_the_request() {
        let request = ListArgs {
            muscle: Some(Muscle::UpperBack),
            equipment: Some(Gear::ResistanceBand),
            category: None,
            search: "row".into(),
            custom: true,
            built_in: false,
            page: Page::default(),
        }
        .request();
        assert_eq!(request.muscle, MuscleGroup::UpperBack as i32);
        assert_eq!(request.equipment, Equipment::ResistanceBand as i32);
        assert_eq!(request.category, 0);
        assert_eq!(request.source, CatalogueSource::Custom as i32);
        assert_eq!(request.name_contains, "row");
    }
}
