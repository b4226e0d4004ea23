"""French vocabulary for the benchmark data set: what a Dolibarr client writes to its integrator.

Summaries, descriptions and notes are assembled from these pieces, so that the full-text search
meets real French words (stemmed by the `french` configuration) in realistic proportions.
"""

from __future__ import annotations

import random

COMPANY_KINDS = (
    "Boulangerie",
    "Cabinet",
    "Garage",
    "Transports",
    "Menuiserie",
    "Pharmacie",
    "Librairie",
    "Imprimerie",
    "Fromagerie",
    "Agence",
    "Atelier",
    "Laboratoire",
    "Clinique",
    "Domaine",
    "Brasserie",
    "Quincaillerie",
    "Coopérative",
    "Société",
    "Établissements",
    "Maison",
)

SURNAMES = (
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
)

FIRST_NAMES = (
    "Paul",
    "Léa",
    "Sophie",
    "Marc",
    "Julie",
    "Nicolas",
    "Camille",
    "Thomas",
    "Manon",
    "Julien",
    "Chloé",
    "Antoine",
    "Emma",
    "Hugo",
    "Inès",
    "Louis",
    "Sarah",
    "Maxime",
    "Claire",
    "Pierre",
    "Anne",
    "Élodie",
    "Mathieu",
    "Céline",
    "Olivier",
    "Nathalie",
    "Sébastien",
    "Isabelle",
    "François",
    "Aurélie",
)

CITIES = (
    "Lyon",
    "Toulouse",
    "Nantes",
    "Bordeaux",
    "Lille",
    "Rennes",
    "Grenoble",
    "Dijon",
    "Angers",
    "Tours",
    "Limoges",
    "Pau",
    "Annecy",
    "Brest",
    "Reims",
    "Metz",
)

# Summaries: « <problème> <objet> <contexte> ».
PROBLEMS = (
    "Erreur lors de la validation de",
    "Impossible d'enregistrer",
    "Impossible de générer le PDF de",
    "Montant erroné sur",
    "Lenteur à l'ouverture de",
    "Message d'erreur à la création de",
    "Doublon dans",
    "TVA mal calculée sur",
    "Champ manquant dans",
    "Mauvais arrondi sur",
    "Demande d'ajout d'un filtre sur",
    "Question sur le paramétrage de",
    "Export CSV incomplet pour",
    "Droits insuffisants pour modifier",
    "Numérotation incorrecte de",
    "Envoi par e-mail impossible pour",
    "Adresse de livraison absente de",
    "Remise non appliquée sur",
    "Statut bloqué pour",
    "Traduction manquante dans",
)

OBJECTS = (
    "la facture client",
    "la facture fournisseur",
    "l'avoir",
    "le devis",
    "la commande client",
    "la commande fournisseur",
    "l'expédition",
    "la réception",
    "le bon de livraison",
    "la fiche produit",
    "le mouvement de stock",
    "l'inventaire",
    "la fiche tiers",
    "le contact",
    "le projet",
    "la tâche",
    "l'intervention",
    "le contrat",
    "le ticket de caisse",
    "l'écriture comptable",
    "le grand livre",
    "le relevé bancaire",
    "la note de frais",
    "le congé",
    "l'événement agenda",
    "le paiement",
    "le prélèvement SEPA",
    "la proposition commerciale",
    "l'ordre de fabrication",
    "la nomenclature",
)

CONTEXTS = (
    "depuis la mise à jour",
    "en multidevise",
    "pour un client étranger",
    "avec plusieurs lignes",
    "sur l'entrepôt principal",
    "après clôture de l'exercice",
    "depuis le portail",
    "sur tablette",
    "avec un modèle personnalisé",
    "pour l'utilisateur comptable",
    "en fin de mois",
    "avec remise globale",
    "sur le module externe",
    "à l'import",
    "depuis hier",
    "",
    "",
    "",
)

SENTENCES = (
    "Quand nous validons {objet}, un message d'erreur apparaît et rien n'est enregistré.",
    "Le problème se produit {contexte} et bloque toute l'équipe.",
    "Nous avons vérifié les droits de l'utilisateur, ils semblent corrects.",
    "Le montant total ne correspond pas à la somme des lignes.",
    "Le PDF généré ne contient pas le logo de la société.",
    "Cela fonctionnait correctement le mois dernier.",
    "Pouvez-vous regarder rapidement, c'est urgent pour la clôture ?",
    "Nous utilisons la version 18 de Dolibarr avec le module de ATM.",
    "La page met plus d'une minute à s'afficher pour {objet}.",
    "Le comptable signale un écart de quelques centimes sur la TVA.",
    "Nous souhaiterions pouvoir filtrer par commercial et par période.",
    "Le client ne reçoit pas l'e-mail envoyé depuis {objet}.",
    "L'export vers le logiciel de comptabilité s'arrête au milieu du fichier.",
    "Les quantités en stock sont négatives après la réception.",
    "Une capture d'écran est jointe pour illustrer le souci.",
    "Le bouton de validation n'apparaît pas pour certains utilisateurs.",
    "Nous avons plusieurs entrepôts et le transfert ne se fait pas.",
    "La numérotation a sauté plusieurs numéros cette semaine.",
    "Le tarif fournisseur n'est pas repris sur {objet}.",
    "Merci de nous indiquer la marche à suivre pour corriger les données.",
    "Ce n'est pas bloquant mais c'est gênant au quotidien.",
    "Le souci concerne uniquement les tiers situés à l'étranger.",
    "L'import du fichier de {ville} échoue sur la ligne 42.",
    "Les dates d'échéance sont décalées d'un jour.",
    "Nous avons besoin d'un nouveau champ pour le numéro de commande du client.",
)

STEPS = (
    "1. Ouvrir {objet}\n2. Cliquer sur Valider\n3. Constater l'erreur",
    "1. Se connecter avec un compte commercial\n2. Créer {objet}\n3. Générer le PDF",
    "1. Aller dans le module Stock\n2. Saisir une réception\n3. Consulter le stock",
    "1. Importer le fichier joint\n2. Lancer l'import\n3. L'import s'arrête",
)

ADDITIONAL = (
    "Navigateur : Firefox à jour.",
    "Navigateur : Chrome sous Windows 11.",
    "Le problème est apparu après la mise à jour du serveur.",
    "Plusieurs utilisateurs sont concernés.",
    "Voir aussi le ticket précédent sur le même sujet.",
)

NOTE_SENTENCES = (
    "Bonjour, nous avons bien reçu votre demande et l'analysons.",
    "Pouvez-vous nous envoyer une capture d'écran du message d'erreur ?",
    "Nous avons reproduit le problème sur notre environnement de test.",
    "Le correctif est en place sur votre instance, merci de valider.",
    "C'est bon pour nous, vous pouvez clôturer.",
    "Le problème persiste malgré la mise à jour.",
    "Il s'agit d'un paramétrage : la constante doit être activée dans la configuration.",
    "Nous avons corrigé le modèle PDF de {objet}.",
    "Merci pour votre retour rapide.",
    "La correction sera livrée avec la prochaine version du module.",
    "Le calcul de la TVA a été revu pour {objet}.",
    "Nous attendons votre réponse pour poursuivre.",
    "Le stock a été recalculé, tout est revenu dans l'ordre.",
    "Une formation d'une heure permettrait de prendre en main la fonctionnalité.",
    "Voici la procédure à suivre pour éviter le problème à l'avenir.",
    "Analyse en cours côté développement.",
    "L'export comptable fonctionne de nouveau.",
    "Je relance l'équipe, le problème est toujours présent ce matin.",
)

STAFF_NOTES = (
    "Vérifié en base : la facture a été validée deux fois.",
    "Penser à facturer la reprise de données.",
    "Le client utilise une version ancienne du module, mise à jour à prévoir.",
    "Temps passé sur l'analyse et le correctif.",
    "Voir avec le chef de projet avant de répondre.",
)


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        objet=rng.choice(OBJECTS), contexte=rng.choice(CONTEXTS) or "ici", ville=rng.choice(CITIES)
    )


def sentence_pool(templates: tuple[str, ...], size: int, rng: random.Random) -> list[str]:
    """`size` sentences with their blanks filled: varied text at the cost of one choice per use."""
    return [_fill(rng.choice(templates), rng) for _ in range(size)]


def summary(rng: random.Random) -> str:
    context = rng.choice(CONTEXTS)
    text = f"{rng.choice(PROBLEMS)} {rng.choice(OBJECTS)}"
    return (f"{text} {context}" if context else text)[:128]
