#pragma once
#include "report/RunReport.h"

#include <QJsonObject>
#include <QString>

namespace gw {

/// Renders a run as a Hugging Face model card (a README.md): YAML front matter with the Hub's
/// `co2_eq_emissions` block (key names and units as in the Hub's "Displaying carbon emissions for
/// your model": emissions in grams, source, training_type, geographical_location, hardware_used),
/// then Markdown: the environmental impact (energy per component with measured/estimated, total,
/// emissions, grid intensity and its origin, PUE, duration, energy per phase, method), the
/// hardware, the training parameters and the results.
///
/// The text depends on the report alone (no clock, no locale, fixed decimals), so it can be
/// checked against a golden file and re-exporting a run gives the same bytes.
class ModelCard {
public:
    /// @p workbenchVersion goes into `source`; empty: this build's version.
    static QString render(const RunReport &report, const QString &workbenchVersion = QString());
    /// Writes render() as UTF-8, replacing @p path only once the whole card is written. Throws
    /// gw::Error naming the file when it cannot be written.
    static void write(const RunReport &report, const QString &path, const QString &workbenchVersion = QString());
    /// A card's Markdown without its YAML front matter (which is for the Hugging Face Hub, not for reading).
    static QString withoutFrontMatter(const QString &card);

    /// The Hub's training_type from the stored run config: "pre-training" when training starts
    /// from random weights (training.mode "scratch", also the default when the key is missing, or
    /// "pretrain", the self-supervised pretraining of the bundled backbone),
    /// "fine-tuning" for every other mode, since those all start from a pretrained backbone.
    static QString trainingType(const QJsonObject &params);

    /// @p text as a YAML scalar: plain when that reads back as the same string, else
    /// double-quoted (anything with ':' or '#', indicators, look-alikes of numbers, booleans, null).
    static QString yamlScalar(const QString &text);
};

} // namespace gw
