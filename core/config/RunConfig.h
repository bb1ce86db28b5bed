#pragma once
#include "training/TrainingParams.h"

#include <QString>
#include <array>
#include <optional>
#include <string>

namespace gw {

/// A run as a person writes it in JSON (documented in README.md, example in
/// resources/examples/). Every key is optional and takes its default; unknown keys, wrong types and
/// out-of-range values are errors that name the file and the key.
struct RunConfig {
    QString name = QStringLiteral("run");
    std::uint64_t seed = 1;

    struct Dataset {
        QString kind = QStringLiteral("fashion-mnist"); ///< or "image-folder"
        QString path;                ///< Fashion-MNIST: empty for the Debian package's location; image folder: required
        QString testPath;            ///< image folder: the test images; empty: a seeded stratified 20 % of path
        std::int64_t trainSubset = 0; ///< 0: all training samples
    } dataset;

    struct Model {
        QString source = QStringLiteral("scratch"); ///< scratch, bundled, safetensors, torchscript
        QString architecture = QStringLiteral("gw-mobilenet"); ///< scratch and safetensors: gw-mobilenet or resnet18
        QString path;                                ///< safetensors or TorchScript file
        QString featureModule;                       ///< TorchScript: submodule giving the features; empty: forward
        std::optional<std::array<int, 3>> inputSize; ///< [C, H, W]; required for TorchScript
        QString cacheDtype = QStringLiteral("float16"); ///< embedding cache storage
    } model;

    /// How many training labels the run may use (0: all) and how they are chosen.
    struct Labels {
        std::int64_t count = 0;
        QString selection = QStringLiteral("random");
    } labels;

    TrainingParams training;

    struct Energy {
        double sampleHz = 1.0;
        QString country; ///< ISO 3166 alpha-3; empty: world average
        QString intensity = QStringLiteral("table"); ///< "table" or "live" (Electricity Maps, table on failure)
        QString zone;    ///< Electricity Maps zone override (e.g. "US-CAL-CISO"); empty: from country
        double pue = 1.0;
        std::optional<double> budgetWh; ///< stop (budget_reached) when prediction or tally exceeds it
        std::optional<double> budgetG;
    } energy;

    static RunConfig fromJsonText(const std::string &text, const QString &origin);
    static RunConfig fromFile(const QString &path);
    /// The full config with every default written out, as JSON text (indent -1: one compact line).
    std::string toJsonText(int indent = 2) const;
};

} // namespace gw
