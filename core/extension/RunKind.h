#pragma once
#include "config/RunParameters.h"

#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

namespace gw {

class RunWork;
struct RunConfig;

/// A figure a kind of run reports as its result, from which Compare and the Pareto plot choose
/// their axes: an objective (accuracy) or a cost (energy per 1,000 inferences).
struct ResultMetric {
    QString name;  ///< as stored in the metrics table: "test_accuracy", "emissions_g"
    QString title; ///< as a person reads it: "Test accuracy"
    QString unit;  ///< "g CO₂e", "" for a ratio
    bool higherIsBetter = true;
    bool objective = true; ///< false: a cost
};

/// One kind of run (train from scratch, fine-tune, active learning, pretrain, and what plugins
/// add): what its config holds, how it is checked, the work it does and what it reports. Kinds are
/// registered in the RunKindRegistry; the JSON reader and writer, the command line's --KEY=VALUE,
/// `run --parameters` and the New run form are generated from what a kind declares here, so a
/// plugin's kind needs no change to the app or the widgets.
class RunKind {
public:
    virtual ~RunKind() = default;
    /// The value of "kind" in a config: "finetune".
    virtual QString id() const = 0;
    /// As the kind chooser shows it: "Fine-tune a pretrained backbone".
    virtual QString title() const = 0;
    /// One or two sentences: what a run of this kind does.
    virtual QString description() const = 0;
    /// The config sections the kind owns (present only in its runs; key "compress") and their
    /// parameters. Every section's `kind` must be this kind's id.
    virtual std::vector<RunParameterSection> ownSections() const { return {}; }
    virtual std::vector<RunParameter> ownParameters() const { return {}; }
    /// The shared keys it reads: whole sections ("energy", "dataset") or single parameters
    /// ("training.epochs"). The run's name and seed are always read.
    virtual QStringList sharedKeys() const = 0;
    /// Defaults of shared keys that differ for this kind (fine-tuning starts from the bundled backbone).
    virtual void applyDefaults(RunConfig &config) const {}
    /// The rules between keys, beyond each key's own type and range; throws Error::in(origin, …).
    virtual void check(const RunConfig &config, const QString &origin) const {}
    /// The work of one run of this kind; throws Error when the config cannot be run.
    virtual std::unique_ptr<RunWork> createWork(const RunConfig &config) const = 0;
    /// What a run of this kind reports as its result; the first objective and the first cost are
    /// the default axes of a comparison.
    virtual std::vector<ResultMetric> resultMetrics() const = 0;
    /// The cost a comparison of runs of this kind alone opens on: the machine's emissions, unless
    /// the kind has a figure that says more (a federated run: its clients' modelled CO2e).
    virtual QString comparedCost() const { return QStringLiteral("emissions_g"); }

    /// Whether a run of this kind reads @p parameterKey (its own, or a shared key it uses).
    bool uses(const QString &parameterKey) const;
};

} // namespace gw
