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
    /// Present or absent as a whole ("active_learning": absent = off); the others always apply.
    bool optional = false;
};

class RunParameters {
public:
    static const std::vector<RunParameter> &all();
    static const std::vector<RunParameterSection> &sections();
    static const RunParameter *find(const QString &key);
    /// The section @p key, "" being the top level's; null for an unknown key.
    static const RunParameterSection *findSection(const QString &key);
    /// Whether the optional section @p key is switched on in @p config.
    static bool sectionEnabled(const RunConfig &config, const QString &key);
    static void setSectionEnabled(RunConfig &config, const QString &key, bool enabled);

    /// Where the dotted @p key ("training.epochs") sits in a config's JSON tree.
    static nlohmann::json::json_pointer pointer(const QString &key);
    /// The optional section @p key lies in ("" when none).
    static QString optionalSectionOf(const QString &key);
    /// A config's JSON tree from whether each optional section is on and each parameter's value (an
    /// optional section that is off: null, its parameters left out): what toJson writes for a
    /// RunConfig and the form for its editors.
    static nlohmann::json assemble(const std::function<bool(const QString &section)> &sectionOn,
                                   const std::function<nlohmann::json(const RunParameter &)> &valueOf);
    /// Every parameter of @p config in a JSON tree (an optional section that is off: null).
    static nlohmann::json toJson(const RunConfig &config);
    /// Reads @p root into @p config: rejects unknown keys and sections that are no objects, checks and
    /// sets every parameter present. Cross-parameter rules are RunConfig's.
    static void fromJson(const nlohmann::json &root, RunConfig &config, const QString &origin);
    /// Sets @p key (a parameter, or an optional section with on/off) to a command-line @p text in @p root.
    static void overrideInJson(nlohmann::json &root, const QString &key, const QString &text, const QString &origin);
    /// `--key=value` for every parameter of @p config that differs from @p base (the config the
    /// command line starts from).
    static QStringList commandLineOptions(const RunConfig &config, const RunConfig &base);
    /// A table of every parameter: key, type, default, help (for `run --parameters`).
    static QString describe();
};

} // namespace gw
