//! The exercise catalogue: built-in entries, filters, custom entries and their isolation.

mod custom;
mod listing;

use shared::pb::fitness::v1 as pb;

use crate::helpers::User;

/// A custom entry to create: strength, barbell, weight × reps, with these muscles.
fn entry(
    name: &str,
    primary: &[pb::MuscleGroup],
    secondary: &[pb::MuscleGroup],
) -> pb::CatalogueEntry {
    pb::CatalogueEntry {
        name: name.to_owned(),
        category: pb::ExerciseCategory::Strength as i32,
        primary_muscles: primary.iter().map(|&m| m as i32).collect(),
        secondary_muscles: secondary.iter().map(|&m| m as i32).collect(),
        equipment: pb::Equipment::Barbell as i32,
        tracking_mode: pb::TrackingMode::WeightReps as i32,
        ..Default::default()
    }
}

impl User {
    /// Creates a custom catalogue entry and returns it.
    async fn create_entry(&mut self, entry: pb::CatalogueEntry) -> pb::CatalogueEntry {
        self.catalogue
            .create_catalogue_entry(pb::CreateCatalogueEntryRequest { entry: Some(entry) })
            .await
            .expect("entry created")
            .into_inner()
    }

    /// Every entry `request` lists, following next-page tokens with pages of `page_size`.
    async fn list_all(
        &mut self,
        request: pb::ListCatalogueRequest,
        page_size: i32,
    ) -> Vec<pb::CatalogueEntry> {
        let mut entries = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .catalogue
                .list_catalogue(pb::ListCatalogueRequest {
                    page_size,
                    page_token: token,
                    ..request.clone()
                })
                .await
                .expect("a page")
                .into_inner();
            assert!(page.entries.len() <= usize::try_from(page_size).unwrap().max(1));
            entries.extend(page.entries);
            if page.next_page_token.is_empty() {
                return entries;
            }
            token = page.next_page_token;
        }
    }
}

/// The ids of `entries`, in order.
fn ids(entries: &[pb::CatalogueEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.id.as_str()).collect()
}
