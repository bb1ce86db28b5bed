#pragma once
#include "training/TrainingParams.h"

#include <QMap>
#include <QString>
#include <nlohmann/json_fwd.hpp>
#include <array>
#include <optional>
#include <string>

namespace gw {

/// A run as a person writes it in JSON (documented in README.md, example in
/// resources/examples/). Every key is optional and takes its default; unknown keys, wrong types and
/// out-of-range values are errors that name the file and the key. The keys themselves are described
/// once, in RunParameters, which also drives the command line and the New run dialog.
struct RunConfig {
    /// The id of the run's kind (RunKindRegistry): "train", "finetune", "active-learning",
    /// "pretrain" or a plugin's. A default RunConfig is a "train" run.
    QString kind = QStringLiteral("train");
    QString name = QStringLiteral("run");
    std::uint64_t seed = 1;

    struct Dataset {
        QString kind = QStringLiteral("fashion-mnist"); ///< or "image-folder"
        QString path;                ///< Fashion-MNIST: empty for the Debian package's location; image folder: required
        QString testPath;            ///< image folder: the test images; empty: a seeded stratified 20 % of path
        std::int64_t trainSubset = 0; ///< 0: all training samples
    } dataset;

    struct Model {
        QString source = QStringLiteral("scratch"); ///< scratch, bundled, safetensors, torchscript, run (another run's model)
        std::int64_t runId = 0;                      ///< source "run": the run whose kept model is the start
        QString architecture = QStringLiteral("gw-mobilenet"); ///< scratch and safetensors: gw-mobilenet or resnet18
        QString path;                                ///< safetensors or TorchScript file
        QString featureModule;                       ///< TorchScript: submodule giving the features; empty: forward
        std::optional<std::array<int, 3>> inputSize; ///< [C, H, W]; required for TorchScript
        QString cacheDtype = QStringLiteral("float16"); ///< embedding cache storage
    } model;

    /// How many training labels the run may use (0: all) and how they are chosen, or the run whose
    /// gathered labels it takes instead.
    struct Labels {
        std::int64_t count = 0;
        QString selection = QStringLiteral("random");
        std::int64_t runId = 0; ///< an active-learning run whose labels a fine-tuning run trains on (0: none)
    } labels;

    TrainingParams training;

    /// The "active-learning" kind's section ("active_learning": {...}): labels are not chosen at random but asked
    /// for, round by round, by a query strategy, from a simulated or a human oracle.
    struct ActiveLearning {
        bool enabled = false; ///< the run is of the "active-learning" kind
        QString strategy = QStringLiteral("margin");          ///< a QueryStrategy name
        QString initialStrategy = QStringLiteral("random");   ///< the first labels: random or cold-start
        std::int64_t initial = 20;
        std::int64_t batch = 20;
        std::int64_t budget = 1000;                           ///< labels in all, imported ones included
        QString oracle = QStringLiteral("simulated");         ///< simulated (true labels) or human
        double noise = 0;                                     ///< simulated: chance of a wrong label
        bool classBalanced = false;
        std::int64_t mcPasses = 20;                           ///< dropout passes for BALD
        QString importLabels;                                 ///< labels exported from another run (CSV or JSON)
        struct Stop {
            std::optional<double> kappa = 0.99;               ///< null: never stop on stable predictions
            std::int64_t kappaRounds = 3;
            std::optional<double> targetAccuracy;             ///< cross-validated accuracy on the labels
            std::optional<double> emissionsG;                 ///< the run's CO2 so far
        } stop;
    } activeLearning;

    struct Energy {
        double sampleHz = 1.0;
        QString country; ///< ISO 3166 alpha-3; empty: world average
        QString intensity = QStringLiteral("table"); ///< "table" or "live" (Electricity Maps, table on failure)
        QString zone;    ///< Electricity Maps zone override (e.g. "US-CAL-CISO"); empty: from country
        double pue = 1.0;
        std::optional<double> budgetWh; ///< stop (budget_reached) when prediction or tally exceeds it
        std::optional<double> budgetG;
    } energy;

    /// The "pretrain" kind's section: self-supervised contrastive pretraining of the backbone.
    struct Pretrain {
        double temperature = 0.2; ///< of the NT-Xent loss
        int projectionDim = 64;   ///< of the projection head, dropped after pretraining
        QString output;           ///< where the weights are written as well; empty: only as the run's artifact
        /// gw-mobilenet weights to go on pretraining from (a safetensors file, or "bundled");
        /// empty: random weights.
        QString init;
    } pretrain;

    /// The parameters of plugins' kinds: dotted key -> value as compact JSON text (they are
    /// described by the plugin's RunParameters, which read and write them here).
    QMap<QString, QString> kindValues;

    /// A config of kind @p kindId with that kind's defaults (an Error for an unknown kind).
    static RunConfig defaultsFor(const QString &kindId);
    /// A fine-tuning run on the labels active-learning run @p runId (of config @p activeLearning)
    /// gathered: the same data, backbone, seed and energy settings, the bundled default's probe; a
    /// person then picks the mode and the semi-supervised option for the final model.
    static RunConfig fineTuningOnLabelsOf(const RunConfig &activeLearning, qint64 runId);
    static RunConfig fromJsonText(const std::string &text, const QString &origin);
    static RunConfig fromJson(const nlohmann::json &root, const QString &origin);
    /// Parses JSON text; malformed text is an Error naming @p origin and the byte.
    static nlohmann::json parseJson(const std::string &text, const QString &origin);
    static RunConfig fromFile(const QString &path);
    /// Writes toJsonText() to @p path (atomically); an Error naming the file when it cannot.
    void save(const QString &path) const;
    /// The full config with every default written out, as JSON text (indent -1: one compact line).
    std::string toJsonText(int indent = 2) const;
};

} // namespace gw
