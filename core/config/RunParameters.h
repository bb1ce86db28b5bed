#pragma once
#include <QString>
#include <QStringList>
#include <nlohmann/json.hpp>
#include <functional>
#include <optional>
#include <vector>

namespace gw {

struct RunConfig;

enum class ParameterType {
    Text,           ///< a string; nullable ones write null for empty
    Path,           ///< a file or folder name (nullable: null for none)
    Integer,        ///< within [min, max]
    Number,         ///< within [min, max]
    Boolean,
    Choice,         ///< one of choices
    OptionalNumber, ///< a number within [min, max], or null for "off"
    Shape3,         ///< [channels, height, width] or null
};

/// One key of a run config, described once: where it sits in the JSON, its type and limits, what a
/// person reads about it, and how it reads and writes RunConfig. The JSON reader and writer, the
/// command line's --KEY=VALUE options and the New run dialog are all generated from these, so a run
/// launched from any of them can be saved as a config and rerun from any other.
struct RunParameter {
    QString key;   ///< dotted JSON path: "training.epochs"
    ParameterType type = ParameterType::Text;
    QString label; ///< as the dialog shows it
    QString help;  ///< one sentence: tooltip and `run --parameters`
    double min = 0, max = 0;
    QStringList choices;
    QStringList choiceLabels; ///< Choice: what the dialog shows per choice (empty: the choices)
    QString unit;             ///< "Hz", "Wh"
    QString emptyMeaning;     ///< what null, empty or the minimum stands for ("all", "world average")
    bool nullable = false;    ///< null is a value (none, off, empty)
    int decimals = 3;         ///< Number and OptionalNumber in the dialog
    bool folder = false;      ///< Path: a folder rather than a file
    bool country = false;     ///< Text: an ISO 3166 alpha-3 code of the carbon-intensity table
    std::function<nlohmann::json(const RunConfig &)> get;
    std::function<void(RunConfig &, const nlohmann::json &)> set;
    /// Beyond type and range (e.g. the country is in the table); empty: fine.
    std::function<QString(const nlohmann::json &)> extraCheck;

    /// The section the key sits in: "training.green_stop" for "training.green_stop.epochs", "" at the top.
    QString section() const { return key.section(QLatin1Char('.'), 0, -2); }
    /// Throws Error "<origin>: '<key>' must be …" unless @p value fits the type and limits.
    void check(const nlohmann::json &value, const QString &origin) const;
    /// The JSON value of a command-line text ("3", "adam", "none", "3,64,64"); throws Error naming @p origin.
    nlohmann::json parseText(const QString &text, const QString &origin) const;
    /// The value as a command line writes it (the inverse of parseText).
    QString toText(const nlohmann::json &value) const;
    /// "integer 1…1000", "one of adam, sgd", for `run --parameters`.
    QString typeDescription() const;
};

/// The sections of a run config, in the order people read them.
struct RunParameterSection {
    QString key;   ///< "training", "active_learning", "training.green_stop"
    QString title; ///< "Training"
    QString page;  ///< the dialog's tab it sits on ("Model and training")
    /// The run kind that owns it (present only in that kind's runs); empty: a shared section.
    QString kind;
};

/// The run parameters of every registered kind (RunKindRegistry) and what is generated from them:
/// the JSON reader and writer, the command line's --KEY=VALUE and `run --parameters`.
class RunParameters {
public:
    /// "kind", the shared parameters, then every registered kind's own.
    static const std::vector<RunParameter> &all();
    static const std::vector<RunParameterSection> &sections();
    static const RunParameter *find(const QString &key);
    /// The section @p key, "" being the top level's; null for an unknown key.
    static const RunParameterSection *findSection(const QString &key);
    /// The parameters and sections every kind draws from (name, seed, dataset, model, labels,
    /// training, energy), without "kind".
    static const std::vector<RunParameter> &sharedParameters();
    static const std::vector<RunParameterSection> &sharedSections();
    /// The parameters of the built-in kinds' own sections (they live in RunConfig's fields).
    static std::vector<RunParameter> activeLearningParameters();
    static std::vector<RunParameter> pretrainParameters();
    /// A parameter of a plugin's kind: its value lives in RunConfig::kindValues under @p key and
    /// reads as @p defaultValue until set. Set limits, choices and units on the result.
    static RunParameter pluginParameter(const QString &key, ParameterType type, const QString &label, const QString &help,
                                        const nlohmann::json &defaultValue);
    /// pluginParameter() of the usual shapes: a choice whose default is the first of @p choices, a
    /// number (Integer or Number) within [@p min, @p max], and a switch.
    static RunParameter pluginChoice(const char *key, const char *label, const char *help, const QStringList &choices);
    static RunParameter pluginNumber(const char *key, ParameterType type, const char *label, const char *help, double value, double min, double max);
    static RunParameter pluginBoolean(const char *key, const char *label, const char *help, bool value);
    /// pluginParameter() of a Text or Path @p type that is unset by default; @p emptyMeaning says
    /// what unset means ("the bundled profiles", "none (required)").
    static RunParameter pluginOptionalText(const char *key, ParameterType type, const char *label, const char *help, const char *emptyMeaning);
    /// The value of a plugin's parameter @p key in @p config (its default when unset).
    template <typename T>
    static T value(const RunConfig &config, const char *key)
    {
        return find(QString::fromLatin1(key))->get(config).template get<T>();
    }

    /// Where the dotted @p key ("training.epochs") sits in a config's JSON tree.
    static nlohmann::json::json_pointer pointer(const QString &key);
    /// A config's JSON tree for the kind @p kindId from each parameter's value: "kind", then every
    /// parameter the kind reads (what toJson writes for a RunConfig and the form for its editors).
    static nlohmann::json assemble(const QString &kindId, const std::function<nlohmann::json(const RunParameter &)> &valueOf);
    /// Every parameter of @p config's kind in a JSON tree.
    static nlohmann::json toJson(const RunConfig &config);
    /// Reads @p root into a config: its kind ("kind", or the one its keys imply), that kind's
    /// defaults, then every parameter present. Rejects unknown keys, sections that are no objects
    /// and the sections of another kind; keys of shared sections the kind does not read are
    /// accepted (older stores wrote them all) and ignored. Cross-parameter rules are the kind's.
    static RunConfig fromJson(const nlohmann::json &root, const QString &origin);
    /// Sets @p key (a parameter, or a kind's own section with on/off, which switches the kind) to
    /// a command-line @p text in @p root.
    static void overrideInJson(nlohmann::json &root, const QString &key, const QString &text, const QString &origin);
    /// Whether the command line takes `--KEY` for @p key: a parameter or a kind's own top section.
    static bool acceptsOption(const QString &key);
    /// `--key=value` for every parameter of @p config that differs from @p base (the config the
    /// command line starts from); `--kind=ID` first when the kinds differ.
    static QStringList commandLineOptions(const RunConfig &config, const RunConfig &base);
    /// A table of every parameter: key, type, default, help, and which kinds read it (for `run --parameters`).
    static QString describe();
};

} // namespace gw
