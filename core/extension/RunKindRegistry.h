#pragma once
#include "config/RunParameters.h"

#include <QString>
#include <QStringList>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace gw {

class RunKind;

/// The kinds of run this process knows: the built-in ones (registered first, by "core") and those
/// that plugins add while they initialise. From them it derives the whole list of run parameters
/// and sections that RunParameters hands out. Kinds are added at start-up, before any config is
/// read or any run starts; the lists are not guarded for changes while they are in use.
class RunKindRegistry {
public:
    /// The process's registry, with the built-in kinds in it.
    static RunKindRegistry &instance();

    /// Adds @p kind on behalf of @p owner ("core" or a plugin's id). Throws Error when its id, one
    /// of its sections or one of its parameters is already taken, or a parameter lies outside its
    /// own sections; nothing is added then.
    void add(std::shared_ptr<const RunKind> kind, const QString &owner);
    /// Removes every kind @p owner added (a plugin that failed after registering some).
    void removeOwner(const QString &owner);

    const RunKind *find(const QString &id) const;
    std::vector<const RunKind *> kinds() const;
    /// The kinds @p owner added.
    QStringList kindsOf(const QString &owner) const;
    /// The kind that owns the section @p sectionKey (null: a shared section or none).
    const RunKind *ownerOfSection(const QString &sectionKey) const;
    /// The kind a config without "kind" has, from the keys it holds: active learning when its
    /// section is present, pretraining for the "pretrain" mode of early stores, training from
    /// scratch for the scratch mode (the default), fine-tuning otherwise.
    static QString impliedKind(const nlohmann::json &root);
    /// "unknown run kind 'x' (known: …; a kind a plugin adds needs that plugin: …)".
    QString unknownKindMessage(const QString &id) const;

    /// "kind", the shared parameters, then each kind's own: what RunParameters::all() returns.
    const std::vector<RunParameter> &parameters() const { return parameters_; }
    const std::vector<RunParameterSection> &sections() const { return sections_; }

private:
    RunKindRegistry();
    void rebuild();
    bool hasSection(const QString &key) const;
    bool hasParameter(const QString &key) const;

    struct Entry {
        std::shared_ptr<const RunKind> kind;
        QString owner;
    };
    std::vector<Entry> entries_;
    std::vector<RunParameter> parameters_;
    std::vector<RunParameterSection> sections_;
};

} // namespace gw
